import { readFileSync } from 'node:fs';
import { execSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { putObjectEncrypted, s3ClientFor } from '/work/main/modules/runtime/ceph/s3.ts';
const A = readFileSync('/tmp/c2dev/admin.sh', 'utf8').match(/A="(.*)"/)![1];
const u = JSON.parse(execSync(`radosgw-admin ${A} user info --uid=documents`).toString()).keys[0];
const TO = Number(process.env.TO ?? 15000);
const dc2 = s3ClientFor({ url: 'https://127.0.2.1:443', ca: readFileSync('/tmp/c2dev/pki/ca.crt'), region: 'lab', accessKeyId: u.access_key, secretAccessKey: u.secret_key, timeoutMs: TO });
const pids = readFileSync('/tmp/c2dev/pids', 'utf8').trim().split('\n').map((l) => l.split(' ')).filter(([, n]) => /dc1-ceph|osd\.[01]$/.test(n!)).map(([p]) => Number(p));
const t0 = Date.now(); let cutAt = 0; let i = 0;
while (!cutAt || Date.now() - cutAt < 40_000) {
  if (!cutAt && Date.now() - t0 > 3000) { for (const p of pids) process.kill(p, 'SIGSTOP'); cutAt = Date.now(); console.log('cut', new Date(cutAt).toISOString()); }
  const s = Date.now(); let o = 'ok';
  try { await putObjectEncrypted(dc2, { bucket: 'documents', key: `c${i++}`, body: Buffer.from('x'), kmsKeyId: 'documents' }); } catch (e: any) { o = e.message.slice(0, 60); }
  if (cutAt) console.log(((s - cutAt) / 1000).toFixed(1), ((Date.now() - cutAt) / 1000).toFixed(1), o);
  if (cutAt && Date.now() - cutAt > 1 && o === 'ok' && Date.now() - s < 500 && Date.now() - cutAt > 5000) break;
  await sleep(250);
}
for (const p of pids) process.kill(p, 'SIGCONT');
