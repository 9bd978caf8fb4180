/**
 * The CA certificate the root-CA publisher puts in every namespace's `kube-root-ca.crt` when the
 * server options give none. The plain-HTTP emulator has no CA of its own; this self-signed
 * certificate (CN kloop-emulator-ca, ECDSA P-256, valid for a century, its key discarded) makes
 * the ConfigMap carry a well-formed PEM, as clients that mount it expect. A secure server passes
 * its own CA through `simulation.caBundle`.
 */
export const CA_BUNDLE = `-----BEGIN CERTIFICATE-----
MIIBkDCCATWgAwIBAgIUCLcEZDcsYPtPYe1y0bs09DcBw0EwCgYIKoZIzj0EAwIw
HDEaMBgGA1UEAwwRa2xvb3AtZW11bGF0b3ItY2EwIBcNMjYxMjA2MTcyNzI3WhgP
MjEyNjExMTIxNzI3MjdaMBwxGjAYBgNVBAMMEWtsb29wLWVtdWxhdG9yLWNhMFkw
EwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE1n7Ue0aGg8H9HipO4na2jyRtjwsKemFf
riFm8JHDh2Qb4+fFaY53uA4Oivooejy/tVwRTpHihoY2P0ang128iKNTMFEwHQYD
VR0OBBYEFNuQkNP5El1bGrO7R/zzObFn/PwOMB8GA1UdIwQYMBaAFNuQkNP5El1b
GrO7R/zzObFn/PwOMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSQAwRgIh
AL9oichCp4GRKbWub6EIXhaoSeUiME2TbM6Tgx7k0wduAiEAqAyYhHf8d9EyLtli
MUHsblDtTHOvCndmO3kmS4FT4IM=
-----END CERTIFICATE-----
`;
