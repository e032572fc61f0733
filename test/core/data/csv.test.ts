import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isElsaError } from '../../../src/core/errors';
import { inferImageShape, MAX_CLASSES, parseImageCsv } from '../../../src/core/data/csv';

test('parses label-first rows, with or without a header, CRLF and blank lines', () => {
  const withHeader = 'label,p1,p2,p3,p4\r\n3,0,255,128,1\r\n\r\n0,5,6,7,8\r\n';
  const noHeader = '3,0,255,128,1\n0,5,6,7,8\n';
  for (const text of [withHeader, noHeader]) {
    const s = parseImageCsv(text, 'd.csv');
    assert.equal(s.count, 2);
    assert.equal(s.pixelsPerSample, 4);
    assert.deepEqual(Array.from(s.labels), [3, 0]);
    assert.deepEqual(Array.from(s.pixels), [0, 255, 128, 1, 5, 6, 7, 8]);
  }
});

test('bad rows are DataErrors naming file:line', () => {
  const cases: [string, string, RegExp][] = [
    ['label,a,b\n1,2,3\n1,2\n', 'd.csv:3', /1 pixel values, expected 2/],
    ['1,2,3\n-1,2,3\n', 'd.csv:2', /label "-1"/],
    ['1,2,3\n1.5,2,3\n', 'd.csv:2', /label "1.5"/],
    ['1,2,300\n', 'd.csv:1', /pixel 2 is "300"/],
    ['1,2,x\n', 'd.csv:1', /pixel 2 is "x"/],
    ['1,2,\n', 'd.csv:1', /pixel 2 is ""/],
    ['label,a\n', 'd.csv', /no samples/],
    // one stray number must not size the model (label 300000 made a 10-row file train a 128 MB network)
    ['1,2,3\n10000,2,3\n', 'd.csv:2', /label 10000 is too large: at most 10000 classes/],
    // 2^32 + 3 wrapped through Int32Array to class 3
    ['4294967299,2,3\n', 'd.csv:1', /label 4294967299 is too large/],
    ['', 'd.csv', /no samples/],
  ];
  for (const [text, file, pattern] of cases) {
    assert.throws(
      () => parseImageCsv(text, 'd.csv'),
      (e: unknown) => isElsaError(e) && e.kind === 'DataError' && e.file === file && pattern.test(e.problem),
      JSON.stringify(text),
    );
  }
});

test('square pixel counts become HxWx1 images', () => {
  assert.deepEqual(inferImageShape(784), [28, 28, 1]);
  assert.deepEqual(inferImageShape(4), [2, 2, 1]);
  assert.deepEqual(inferImageShape(6), [1, 6, 1]);
});

test('quoted numbers (a spreadsheet export) read as numbers; the largest label allowed is MAX_CLASSES − 1', () => {
  const s = parseImageCsv('"label","a","b"\n"3","0","255"\n"0", "7" ,"8"\n', 'q.csv');
  assert.deepEqual(Array.from(s.labels), [3, 0]);
  assert.deepEqual(Array.from(s.pixels), [0, 255, 7, 8]);
  assert.deepEqual(Array.from(parseImageCsv(`${MAX_CLASSES - 1},1\n`, 'd.csv').labels), [MAX_CLASSES - 1]);
});
