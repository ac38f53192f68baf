import { expect, it } from 'vitest';
import { startPushgateway } from '../src/pushgateway.js';

it('starts a Pushgateway on a free port that accepts pushes, and stops it', async () => {
  const gateway = await startPushgateway();
  try {
    expect(gateway.url).toBe(`http://127.0.0.1:${gateway.port}`);
    const push = await fetch(`${gateway.url}/metrics/job/harness`, {
      method: 'PUT',
      body: '# TYPE harness_value gauge\nharness_value 42\n',
    });
    expect(push.status).toBe(200);
    const text = await (await fetch(`${gateway.url}/metrics`)).text();
    expect(text).toContain('harness_value{instance="",job="harness"} 42');
  } finally {
    await gateway.stop();
  }
  await expect(fetch(`${gateway.url}/-/ready`)).rejects.toThrow();
  await gateway.stop(); // idempotent
});

it('requires basic auth when started with basicAuth', async () => {
  const gateway = await startPushgateway({ basicAuth: true });
  try {
    const { username, password } = gateway.auth!;
    expect((await fetch(`${gateway.url}/metrics`)).status).toBe(401);
    const wrong = `Basic ${Buffer.from(`${username}:nope`).toString('base64')}`;
    expect((await fetch(`${gateway.url}/metrics`, { headers: { authorization: wrong } })).status).toBe(401);
    const right = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
    expect((await fetch(`${gateway.url}/metrics`, { headers: { authorization: right } })).status).toBe(200);
  } finally {
    await gateway.stop();
  }
});

it('keeps pushed metrics in memory only (no persistence file shared between instances)', async () => {
  const first = await startPushgateway();
  try {
    const push = await fetch(`${first.url}/metrics/job/persisted`, {
      method: 'PUT',
      body: 'persisted_value 1\n',
    });
    expect(push.status).toBe(200);
  } finally {
    await first.stop();
  }
  const second = await startPushgateway();
  try {
    const text = await (await fetch(`${second.url}/metrics`)).text();
    expect(text).toContain('pushgateway_build_info');
    expect(text).not.toContain('persisted_value');
  } finally {
    await second.stop();
  }
});
