/**
 * What a TypeScript file imports, read by the compiler's parser rather than by a pattern, so the
 * architecture tests see every form (side-effect imports, `import type`, `export * as`, `import()`
 * of a literal or a template without substitutions, `typeof import()` in types, `import x =
 * require()`) and nothing that only looks like an import (comments, strings, `@example` blocks).
 */
import ts from 'typescript';

/**
 * The module specifiers of `text`, in source order. A computed `import(expr)` cannot be named and
 * is left out.
 */
export function moduleSpecifiers(text: string, fileName = 'module.ts'): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) {
      if (ts.isStringLiteral(node.moduleSpecifier)) found.push(node.moduleSpecifier.text);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      if (ts.isStringLiteral(node.moduleReference.expression)) found.push(node.moduleReference.expression.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [argument] = node.arguments;
      if (argument !== undefined && ts.isStringLiteralLike(argument)) found.push(argument.text);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      if (ts.isStringLiteral(node.argument.literal)) found.push(node.argument.literal.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}
