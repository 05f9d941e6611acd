import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HealthRegistry } from '../src/index.ts';
import { scrubText } from '../src/health/scrub.ts';

describe('credential scrubbing', () => {
  const cases: [string, string][] = [
    ['connect ECONNREFUSED postgres://app:s3cret@db:5432/shop', 'connect ECONNREFUSED postgres://app:***@db:5432/shop'],
    ['redis://:hunter2@cache:6379', 'redis://:***@cache:6379'],
    ['mongodb+srv://admin:p%40ss@cluster0.example.net/db', 'mongodb+srv://admin:***@cluster0.example.net/db'],
    ['GET https://api.example.com/v1?user=bob&token=abc123def&x=1 failed', 'GET https://api.example.com/v1?user=bob&token=***&x=1 failed'],
    ['host=db password=s3cret sslmode=require', 'host=db password=*** sslmode=require'],
    ['{"apiKey":"sk_live_123456","region":"eu"}', '{"apiKey":"***","region":"eu"}'],
    ['rejected header Authorization: Bearer eyJhbGciOi.eyJzdWIi.sig', 'rejected header Authorization: Bearer ***'],
    ['secret: abc, next', 'secret: ***, next'],
    ['https://example.com/health is fine', 'https://example.com/health is fine'],
    ['timed out after 500 ms', 'timed out after 500 ms'],
  ];
  for (const [input, expected] of cases) {
    it(`scrubs ${JSON.stringify(input.slice(0, 40))}`, () => assert.equal(scrubText(input), expected));
  }

  it('scrubs what checks return and throw, in messages and details, before anything is served', async () => {
    const registry = new HealthRegistry();
    registry.register('db', () => { throw new Error('password authentication failed for postgres://app:s3cret@db/shop'); });
    registry.register('api', () => ({
      status: 'degraded',
      message: 'upstream said 401 to Bearer abcdef123456',
      details: { url: 'https://u:pw@api.example.com', password: 'hunter2', nested: { token: 'xyz', attempts: 3 }, list: ['token=zzz'] },
    }));
    const text = JSON.stringify(await registry.runAll());
    for (const secret of ['s3cret', 'abcdef123456', 'hunter2', 'xyz', 'zzz', ':pw@']) assert.ok(!text.includes(secret), `${secret} leaked: ${text}`);
    const [db, api] = (await registry.runAll()).checks;
    assert.equal(db?.message, 'password authentication failed for postgres://app:***@db/shop');
    assert.deepEqual(api?.details, { url: 'https://u:***@api.example.com', password: '***', nested: { token: '***', attempts: 3 }, list: ['token=***'] });
  });
});
