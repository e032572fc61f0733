// Harness bundle: the fake host must define acquireVsCodeApi before the dashboard's entry runs.
import './fakeHost';
import '../../../webview/main';
