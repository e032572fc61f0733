/** What the dashboard's webview may make the host do (src/extension/dashboardSecurity.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mayOpenFromWebview, needsTrust } from '../../src/extension/dashboardSecurity';

const run = { scheme: 'file', path: '/ws/runs/mlp' };
const file = (path: string, scheme = 'file') => ({ scheme, path });

describe('dashboard security rules', () => {
  it('opens files under the subject folder or in the workspace, of the same scheme only', () => {
    assert.ok(mayOpenFromWebview(file('/ws/runs/mlp/report.md'), run, false));
    assert.ok(mayOpenFromWebview(file('/elsewhere/x.md'), run, true), 'a workspace file');
    assert.ok(!mayOpenFromWebview(file('/etc/passwd'), run, false));
    assert.ok(!mayOpenFromWebview(file('/ws/runs/mlp2/x.md'), run, false), 'a sibling folder sharing the prefix is not inside');
    assert.ok(!mayOpenFromWebview(file('/ws/runs/mlp'), run, false), 'the folder itself is not a file under it');
    assert.ok(!mayOpenFromWebview(file('/ws/runs/mlp/x.md', 'https'), run, true), 'another scheme never');
    assert.ok(!mayOpenFromWebview(file('/ws/runs/mlp/../../../etc/passwd'), run, false), 'no climbing out with ..');
    assert.ok(!mayOpenFromWebview(file('/ws/runs/mlp/..\\..\\x'), run, false), 'nor with backslashes');
    assert.ok(!mayOpenFromWebview(file('/ws/a/../../etc/passwd'), run, true), 'a workspace path that climbs out is refused too');
  });

  it('the commands that start the ELSA process need trust', () => {
    assert.ok(needsTrust('extractLevel') && needsTrust('evaluate'));
    assert.ok(!needsTrust('openFile'));
  });
});
