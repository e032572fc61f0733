/**
 * The run-folder layout is written by the CLI (core/run.ts, core/study.ts) and recognised by the extension
 * (treeModel.ts, the checkpointGlob default in package.json): both sides take it from src/protocol/runFolder.ts,
 * and these tests check that what one writes the other finds.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { runPaths } from '../../src/core/run';
import { studyOutputs } from '../../src/core/study';
import { artifactType } from '../../src/extension/treeModel';
import {
  ARTIFACT_GLOB, checkpointFileName, isCheckpointFile, isEventsFile, isReportFile, isSafetensorsFile, isShardIndexFile, isStudyFile,
  isTfjsModelFile, previousRunDir, tfjsWeightsFileName,
} from '../../src/protocol/runFolder';

describe('run-folder layout', () => {
  it('the files a run writes are what the Checkpoints view recognises', () => {
    const p = runPaths({ name: 'mlp', outDir: 'runs/mlp' });
    assert.equal(p.checkpoint, path.join('runs/mlp', 'mlp.elsa.safetensors'));
    assert.equal(artifactType(p.checkpoint), 'elsa');
    assert.equal(artifactType(p.events), 'runMarker');
    assert.equal(artifactType(p.baselineEvents), 'runMarker');
    assert.ok(isReportFile(p.report));
    assert.equal(path.basename(p.reportMarkdown), 'report.md');
    assert.equal(artifactType(studyOutputs('studies/s').json), 'studyMarker');
  });

  it('classifies names by suffix, case-insensitively, with either separator', () => {
    assert.equal(checkpointFileName('a'), 'a.elsa.safetensors');
    assert.ok(isCheckpointFile('C:\\runs\\A.ELSA.SAFETENSORS'));
    assert.ok(!isCheckpointFile('a.safetensors'));
    assert.ok(isSafetensorsFile('a.elsa.safetensors') && isSafetensorsFile('x/a.safetensors'));
    assert.ok(isShardIndexFile('m/model.safetensors.index.json') && !isSafetensorsFile('m/model.safetensors.index.json'));
    assert.ok(isTfjsModelFile('x/model.json') && isTfjsModelFile('x/level2.model.json') && !isTfjsModelFile('x/mymodel.json'));
    assert.ok(isEventsFile('r/events.jsonl') && !isEventsFile('r/old-events.jsonl'));
    assert.ok(isStudyFile('s/study.json') && !isStudyFile('s/my.study.json'), 'a study *config* is not the study summary');
    assert.equal(previousRunDir(2), 'previous-2');
  });

  it('each TF.js model.json gets its own weight file, so two saved into one folder do not share one', () => {
    assert.equal(tfjsWeightsFileName('x/model.json'), 'weights.bin');
    assert.equal(tfjsWeightsFileName('x\\MODEL.JSON'), 'weights.bin');
    assert.equal(tfjsWeightsFileName('x/level2.model.json'), 'level2.weights.bin');
    assert.equal(tfjsWeightsFileName('x/level1.json'), 'level1.weights.bin');
    assert.equal(tfjsWeightsFileName('x/.json'), 'model.weights.bin');
  });

  it('the checkpointGlob default in package.json is the layout', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { contributes: { configuration: { properties: Record<string, { default?: unknown }> } } };
    assert.equal(pkg.contributes.configuration.properties['elsa.checkpointGlob'].default, ARTIFACT_GLOB);
  });
});
