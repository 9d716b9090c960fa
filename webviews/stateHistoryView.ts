// Entry of the state history webview bundle (dist/webviews/stateHistoryView.js + .css): styles and start.
import './theme.css';
import './stateHistory.css';
import { connectHost } from './hostBridge';
import { startStateHistory } from './stateHistoryApp';

startStateHistory(document.getElementById('root') ?? document.body, connectHost());
