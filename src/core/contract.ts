/**
 * The checkpoint contract moved to src/protocol/checkpoint.ts (the webview shares it, and the webview imports
 * only from src/protocol). This alias keeps imports on branches written before the move compiling; new code
 * imports src/protocol/checkpoint.
 */
export * from '../protocol/checkpoint';
