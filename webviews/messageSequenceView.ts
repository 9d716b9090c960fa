// Entry of the message sequence webview bundle (dist/webviews/messageSequenceView.js + .css): styles and start.
import './theme.css';
import './messageSequence.css';
import { connectHost } from './hostBridge';
import { startMessageSequence } from './messageSequenceApp';

startMessageSequence(document.getElementById('root') ?? document.body, connectHost());
