/**
 * What a dashboard shows and where its files are (path lookup): a checkpoint / model file, a run folder (its
 * checkpoint and events.jsonl) or a study folder (study.json). The layout is src/protocol/runFolder.ts.
 */
import * as vscode from 'vscode';
import { isCheckpointFile, isSafetensorsFile, STUDY_FILE, TFJS_MODEL_FILE } from '../protocol/runFolder';
import { exists, isDirectory } from './fileAccess';
import { artifactType } from './treeModel';

/** What a dashboard shows: a checkpoint / model file, or a run folder (its checkpoint and events.jsonl). */
export interface DashboardSubject {
  uri: vscode.Uri;
  isFolder: boolean;
  /** A study folder (it holds study.json): the dashboard shows the study's charts. */
  isStudy?: boolean;
}

/** A run's events.jsonl stands for its run folder, a study.json for its study folder. */
export async function subjectFor(uri: vscode.Uri): Promise<DashboardSubject> {
  if (artifactType(uri.path) === 'runMarker') return { uri: vscode.Uri.joinPath(uri, '..'), isFolder: true };
  if (artifactType(uri.path) === 'studyMarker') return { uri: vscode.Uri.joinPath(uri, '..'), isFolder: true, isStudy: true };
  // A run's output folder does not exist until its first epoch: a missing path that names no file is a folder.
  if (!(await exists(uri))) return { uri, isFolder: !/\.(safetensors|json)$/i.test(uri.path) };
  const isFolder = await isDirectory(uri);
  return isFolder && (await exists(vscode.Uri.joinPath(uri, STUDY_FILE))) ? { uri, isFolder, isStudy: true } : { uri, isFolder };
}

/** The folder the subject's files live in: the folder itself, or the file's folder. */
export function subjectFolder(subject: DashboardSubject): vscode.Uri {
  return subject.isFolder ? subject.uri : vscode.Uri.joinPath(subject.uri, '..');
}

/** The run's ELSA checkpoint: `*.elsa.safetensors` directly in the folder (else any safetensors there). */
export async function checkpointInFolder(folder: vscode.Uri): Promise<vscode.Uri | undefined> {
  let entries: [string, vscode.FileType][];
  try {
    entries = await vscode.workspace.fs.readDirectory(folder);
  } catch {
    return undefined;
  }
  const files = entries.filter(([, t]) => t === vscode.FileType.File).map(([n]) => n).sort();
  const pick = files.find(isCheckpointFile) ?? files.find(isSafetensorsFile) ?? files.find((n) => n === TFJS_MODEL_FILE);
  return pick ? vscode.Uri.joinPath(folder, pick) : undefined;
}
