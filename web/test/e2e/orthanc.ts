// A real Orthanc 1.10 for the viewer's end-to-end test and for recording the unit tests' fixtures: the DICOMweb
// plugin and the built Cairn plugin, temporary storage, a free loopback port, remote access off. Stopped by stop().
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ORTHANC = '/usr/sbin/Orthanc';
const DICOMWEB = ['/usr/share/orthanc/plugins/libOrthancDicomWeb.so', '/usr/lib/orthanc/libOrthancDicomWeb.so.1.7'];

export interface OrthancOptions {
  cairnPlugin: string; // build/release/plugin/libCairnPlugin.so
  viewerRoot: string;
  modelsRoot: string;
}

export interface RunningOrthanc {
  origin: string; // http://127.0.0.1:PORT
  folder: string;
  upload(dicomFiles: string[]): Promise<string>; // returns the StudyInstanceUID of the first file's study
  // A crash: the process killed (SIGKILL by default), its storage and configuration kept.
  kill(signal?: NodeJS.Signals): Promise<void>;
  // After kill(): the same configuration again (same port, same storage); resolves once it answers.
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function startOrthanc(options: OrthancOptions): Promise<RunningOrthanc> {
  const dicomweb = DICOMWEB.find((p) => existsSync(p));
  if (!existsSync(ORTHANC) || dicomweb === undefined) throw new Error('Orthanc or its DICOMweb plugin is not installed');
  if (!existsSync(options.cairnPlugin)) throw new Error(`${options.cairnPlugin} is missing: build it first (make build)`);
  const folder = mkdtempSync(join(tmpdir(), 'cairn-orthanc-'));
  const port = await freePort();
  const config = {
    Name: 'cairn-viewer-e2e',
    StorageDirectory: join(folder, 'storage'),
    IndexDirectory: join(folder, 'storage'),
    HttpPort: port,
    DicomServerEnabled: false,
    RemoteAccessAllowed: false,
    AuthenticationEnabled: false,
    SaveJobs: false,
    Plugins: [dicomweb, options.cairnPlugin],
    DicomWeb: { Enable: true, Root: '/dicom-web/' },
    Cairn: { Enabled: true, ViewerRoot: options.viewerRoot, ModelsRoot: options.modelsRoot, ConnectSrc: [] },
  };
  mkdirSync(join(folder, 'storage'));
  writeFileSync(join(folder, 'orthanc.json'), JSON.stringify(config, null, 2));
  const origin = `http://127.0.0.1:${port}`;
  let child: ChildProcess;
  const running = () => child.exitCode === null && child.signalCode === null;
  const kill = async (signal: NodeJS.Signals = 'SIGKILL') => {
    if (!running()) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
    if (running()) {
      child.kill('SIGKILL');
      await exited;
    }
  };
  const stop = async () => {
    await kill('SIGTERM');
    rmSync(folder, { recursive: true, force: true });
  };
  const launch = async () => {
    const log = openSync(join(folder, 'orthanc.log'), 'a');
    child = spawn(ORTHANC, [join(folder, 'orthanc.json')], { cwd: folder, stdio: ['ignore', log, log] });
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (!running()) {
        const text = readFileSync(join(folder, 'orthanc.log'), 'utf8');
        await stop();
        throw new Error(`Orthanc stopped while starting:\n${text.slice(-2000)}`);
      }
      try {
        if ((await fetch(`${origin}/system`)).ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        await stop();
        throw new Error('Orthanc did not answer within 60 s');
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const restart = async () => {
    if (running()) throw new Error('Orthanc is still running: kill() it first');
    await launch();
  };
  await launch();
  const upload = async (files: string[]) => {
    let parent = '';
    for (const file of files) {
      const response = await fetch(`${origin}/instances`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/dicom' },
        body: readFileSync(file),
      });
      if (!response.ok) throw new Error(`upload of ${file}: HTTP ${response.status}`);
      const answer = (await response.json()) as { ParentStudy: string };
      parent ||= answer.ParentStudy;
    }
    const study = (await (await fetch(`${origin}/studies/${parent}`)).json()) as { MainDicomTags: { StudyInstanceUID: string } };
    return study.MainDicomTags.StudyInstanceUID;
  };
  return { origin, folder, upload, kill, restart, stop };
}

// The demo study's slices (demo/LIDC-IDRI-0001.tar.xz), unpacked into a temporary folder; sorted by file name.
export function unpackDemoStudy(repoRoot: string): { files: string[]; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-study-'));
  execFileSync('tar', ['-xJf', join(repoRoot, 'demo', 'LIDC-IDRI-0001.tar.xz'), '-C', dir]);
  const files: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(d, entry.name));
      else if (entry.name.endsWith('.dcm')) files.push(join(d, entry.name));
    }
  };
  walk(dir);
  files.sort();
  return { files, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
