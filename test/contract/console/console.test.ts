// End to end: the web console in headless Chromium beside tencentcloud-sdk-nodejs. Sign in; an ENI
// created and attached through the SDK appears and changes state on the open page (held in
// ATTACHING by the console's transitions, completed from the console); a migrate shows the ENI
// under its new instance; a fault added in the console makes the SDK's next call fail with that
// code; a snapshot restored from the console brings the old world back. Screenshots of each view
// go to test/output/console/.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { adminTokenOf } from '../../support/admin.ts';
import { launchChromium, screenshotDir, skipWithoutChromium } from '../../support/browser.ts';
import { startServer, type RunningServer } from '../../support/server.ts';
import { errCode, session, type Session } from '../../support/tencent3/client.ts';
import { getEni, waitTaskSuccess } from '../../support/tencent3/waits.ts';
import { createEni, createSubnet, createVpc, runInstances } from '../../support/tencent3/world.ts';

const WAIT = { timeout: 15_000 };

describe('the web console', { skip: skipWithoutChromium() }, () => {
  let srv: RunningServer;
  let browser: Browser;
  let page: Page;
  let s: Session;
  const shots = screenshotDir();
  const net = { vpcId: '', subnetId: '', ins1: '', ins2: '' };
  const shot = (name: string) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
  const view = async (name: string) => {
    await page.click(`nav a[href="#/${name}"]`);
    await page.waitForSelector(`main[data-view="${name}"]`, WAIT);
  };

  before(async () => {
    srv = await startServer({ latency: '150', rateLimit: 'off' });
    s = await session(srv);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  });
  after(async () => {
    await browser?.close();
    await srv?.stop();
  });

  test('sign in: a wrong token is refused, the admin token opens the live console', async () => {
    await page.goto(`${srv.url}/console`);
    await page.fill('#token', 'not-the-token');
    await page.click('button[type=submit]');
    await page.waitForSelector('[role=alert]', WAIT);
    assert.match(await page.textContent('[role=alert]') ?? '', /not the admin token/);
    await page.fill('#token', adminTokenOf(srv));
    await page.click('button[type=submit]');
    await page.waitForSelector('[data-live="up"]', WAIT);
  });

  test('an ENI made and attached through the SDK appears and changes state on the page; a held attach is completed from the console', async () => {
    net.vpcId = await createVpc(s, '10.50.0.0/16', 'console-vpc');
    net.subnetId = await createSubnet(s, net.vpcId, '10.50.1.0/24');
    [net.ins1, net.ins2] = (await runInstances(s.cvm, net, 2, 'S5.LARGE8')) as [string, string];
    await view('topology');
    await page.waitForSelector(`[data-resource-id="${net.ins2}"][data-state="RUNNING"]`, WAIT);
    const eni = await createEni(s, net, { name: 'console-eni' } as never);
    await page.waitForSelector(`[data-resource-id="${eni}"][data-state="AVAILABLE"]`, WAIT);

    // Hold attaches from the console, attach through the SDK: the page shows it on its way.
    await view('control');
    await page.selectOption('#mode-eni-attach', 'manual');
    await page.waitForSelector('[data-operation="eni.attach"][data-mode="manual"]', WAIT);
    const { RequestId } = await s.vpc.AttachNetworkInterface({ NetworkInterfaceId: eni, InstanceId: net.ins1 });
    await view('topology');
    await page.waitForSelector(`[data-resource-id="${net.ins1}"] [data-resource-id="${eni}"][data-state="ATTACHING"][data-target-instance-id="${net.ins1}"]`, WAIT);
    await shot('topology-attaching');
    await view('control');
    await page.click(`li[data-task-id="${RequestId}"] >> text=Complete`);
    await waitTaskSuccess(s.vpc, RequestId!);
    await page.selectOption('#mode-eni-attach', 'auto');
    await page.waitForSelector('[data-operation="eni.attach"][data-mode="auto"]', WAIT);
    await view('topology');
    await page.waitForSelector(`[data-resource-id="${net.ins1}"] [data-resource-id="${eni}"][data-state="AVAILABLE"][data-instance-id="${net.ins1}"]`, WAIT);

    // A migrate: the ENI ends under the other instance.
    await s.vpc.MigrateNetworkInterface({ NetworkInterfaceId: eni, SourceInstanceId: net.ins1, DestinationInstanceId: net.ins2 });
    await page.waitForSelector(`[data-resource-id="${net.ins2}"] [data-resource-id="${eni}"][data-instance-id="${net.ins2}"][data-state="AVAILABLE"]`, WAIT);
    assert.equal(await page.locator(`[data-resource-id="${net.ins1}"] [data-resource-id="${eni}"]`).count(), 0);
    assert.equal((await getEni(s.vpc, eni))!.Attachment?.InstanceId, net.ins2);
    await shot('topology');
    await page.setViewportSize({ width: 390, height: 844 });
    await shot('topology-narrow');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  test('a fault added in the console makes the SDK’s next call fail with that code', async () => {
    await view('control');
    await page.fill('form[aria-label="Add a fault"] input[name=name]', 'DescribeSubnets');
    await page.selectOption('form[aria-label="Add a fault"] select[name=dialect]', 'tencent3');
    await page.fill('form[aria-label="Add a fault"] input[name=code]', 'InternalError.FromConsole');
    await page.fill('form[aria-label="Add a fault"] input[name=message]', 'added in the browser');
    await page.click('form[aria-label="Add a fault"] button[type=submit]');
    await page.waitForSelector('tr[data-fault-id]', WAIT);
    await shot('control');
    await assert.rejects(s.vpc.DescribeSubnets({}), (e: unknown) => errCode(e) === 'InternalError.FromConsole');
    // Its count was one: the next call passes.
    assert.ok((await s.vpc.DescribeSubnets({})).TotalCount! >= 1);
    await page.click('tr[data-fault-id] >> text=Remove');
    await page.waitForSelector('tr[data-fault-id]', { state: 'detached', ...WAIT });
  });

  test('a snapshot restored from the console brings the old world back, on the page and to the SDK', async () => {
    const spare = await createEni(s, net, { name: 'console-spare' } as never);
    await view('control');
    await page.fill('input[name=snapshot]', 'console-before');
    await page.click('form[aria-label="Save a snapshot"] button[type=submit]');
    await page.waitForSelector('li[data-snapshot="console-before"]', WAIT);
    await s.vpc.DeleteNetworkInterface({ NetworkInterfaceId: spare });
    await view('topology');
    await page.waitForSelector(`[data-resource-id="${spare}"]`, { state: 'detached', ...WAIT });
    await view('control');
    await page.click('li[data-snapshot="console-before"] >> text=Restore');
    await page.click('dialog[open] >> text=Confirm');
    await view('topology');
    await page.waitForSelector(`[data-resource-id="${spare}"][data-state="AVAILABLE"]`, WAIT);
    assert.equal((await getEni(s.vpc, spare))?.State, 'AVAILABLE');
  });

  test('every view renders the world: overview, tables with a detail panel and its history, tasks, calls', async () => {
    await view('overview');
    await page.waitForSelector('[data-provider="tencent"][data-region="ap-guangzhou"]', WAIT);
    await page.waitForSelector('.rates svg', WAIT);
    await shot('overview');
    await view('tables');
    await page.fill('input[type=search]', 'console-eni');
    const row = page.locator('table.resources tbody tr');
    await row.first().waitFor(WAIT);
    assert.equal(await row.count(), 1);
    await row.first().locator('button').click();
    await page.waitForSelector('aside[data-detail-id] .history li', WAIT);
    assert.match((await page.textContent('aside[data-detail-id] .history')) ?? '', /AttachNetworkInterface|eni\.attach/);
    await shot('tables');
    await view('tasks');
    await page.waitForSelector('tr[data-task-id][data-state="SUCCESS"]', WAIT);
    await shot('tasks');
    await view('calls');
    await page.waitForSelector('tr[data-request-id]', WAIT);
    assert.match((await page.textContent('main')) ?? '', /MigrateNetworkInterface/);
    await shot('calls');
  });
});
