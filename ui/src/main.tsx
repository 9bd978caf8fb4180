/** The dashboard page's entry: one feed, one app. */
import 'uplot/dist/uPlot.min.css';
import './app.css';
import { render } from 'preact';
import { App } from './app.js';
import { Feed } from './feed.js';

const feed = new Feed();
feed.connect();
render(<App feed={feed} />, document.getElementById('app')!);
