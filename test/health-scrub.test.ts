// Credentials never leave through /health or /health/tools, and scrubbing stays cheap
// whatever a check returns (issue 16, defects 5 and 6).

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { HealthRegistry, healthRegistry, initObservability, shutdownObservability } from '../src/index.ts';
import { MAX_MESSAGE_CHARS, isSecretName, scrubMessage, scrubText, scrubValue } from '../src/health/scrub.ts';
import { baseUrl, request } from './helpers/http.ts';

describe('credential scrubbing', () => {
  const cases: [string, string][] = [
    // URLs: the userinfo up to the LAST @ before the host.
    ['connect ECONNREFUSED postgres://app:s3cret@db:5432/shop', 'connect ECONNREFUSED postgres://app:***@db:5432/shop'],
    ['redis://:hunter2@cache:6379', 'redis://:***@cache:6379'],
    ['redis://default:pa@ss@redis:6379/0', 'redis://default:***@redis:6379/0'],
    ['amqp://guest:g@@st@@rabbit/vhost', 'amqp://guest:***@rabbit/vhost'],
    ['mongodb+srv://admin:p%40ss@cluster0.example.net/db', 'mongodb+srv://admin:***@cluster0.example.net/db'],
    ['clone https://ghp_abcdef123@github.com/org/repo failed', 'clone https://***@github.com/org/repo failed'],
    ['GRAFANA_URL=https://admin:pass@grafana.internal', 'GRAFANA_URL=https://admin:***@grafana.internal'],
    ['mail bob@example.com about https://example.com/@bob?to=a@b', 'mail bob@example.com about https://example.com/@bob?to=a@b'],
    // Query strings and env dumps: the secret words inside names (\b fails after "_").
    ['GET https://api.example.com/v1?user=bob&token=abc123def&x=1 failed', 'GET https://api.example.com/v1?user=bob&token=***&x=1 failed'],
    ['/cb?access_token=at1&refresh_token=rt2&client_secret=cs3&state=ok', '/cb?access_token=***&refresh_token=***&client_secret=***&state=ok'],
    ['DB_PASSWORD=hunter2 AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG REGION=eu', 'DB_PASSWORD=*** AWS_SECRET_ACCESS_KEY=*** REGION=eu'],
    ['AWS_ACCESS_KEY_ID=AKIAXYZ SESSION_ID=s9 db_pass=p1 PGPASSWORD=p2', 'AWS_ACCESS_KEY_ID=*** SESSION_ID=*** db_pass=*** PGPASSWORD=***'],
    ['host=db password=s3cret sslmode=require', 'host=db password=*** sslmode=require'],
    ['host=db password = "two words" user=app', 'host=db password = "***" user=app'],
    ['jwt=eyJhbGciOi.eyJzdWIi.sig ok', 'jwt=*** ok'],
    ['error: password=abc next', 'error: password=*** next'],
    ['secret: abc, next', 'secret: ***, next'],
    // JSON and headers.
    ['{"apiKey":"sk_live_123456","region":"eu"}', '{"apiKey":"***","region":"eu"}'],
    ['{"dbPassword": "p", "accessToken":"t", "x-api-key":"k", "user":"bob"}', '{"dbPassword": "***", "accessToken":"***", "x-api-key":"***", "user":"bob"}'],
    ['rejected header Authorization: Bearer eyJhbGciOi.eyJzdWIi.sig', 'rejected header Authorization: Bearer ***'],
    ['rejected header Authorization: Token abc def', 'rejected header Authorization: Token ***'],
    ['Proxy-Authorization: Basic dXNlcjpwYXNz\nnext line', 'Proxy-Authorization: Basic ***\nnext line'],
    ['sent Cookie: sid=abc; theme=dark\nthen', 'sent Cookie: ***\nthen'],
    ['X-API-Key: k-123456 refused', 'X-API-Key: *** refused'],
    ['upstream said 401 to Bearer abcdef123456', 'upstream said 401 to Bearer ***'],
    ['a bare token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln in prose', 'a bare token *** in prose'],
    // Left alone.
    ['expected https://<key>@<host>/<project>', 'expected https://<key>@<host>/<project>'],
    ['https://example.com/health is fine', 'https://example.com/health is fine'],
    ['timed out after 500 ms', 'timed out after 500 ms'],
    ['author=bob monkey=3 passenger: 2', 'author=bob monkey=3 passenger: 2'],
    ['password authentication failed for user "app"', 'password authentication failed for user "app"'],
  ];
  for (const [input, expected] of cases) {
    it(`scrubs ${JSON.stringify(input.slice(0, 50))}`, () => assert.equal(scrubText(input), expected));
  }

  const names: [string, boolean][] = [
    ['password', true], ['dbPassword', true], ['db_password', true], ['DB_PASSWORD', true], ['passwd', true],
    ['pwd', true], ['pass', true], ['accessToken', true], ['refresh_token', true], ['client_secret', true],
    ['x-api-key', true], ['apiKey', true], ['API_SECRET_KEY', true], ['api_signing_key', true], ['Cookie', true],
    ['Set-Cookie', true], ['Authorization', true], ['auth', true], ['basic_auth', true], ['credentials', true],
    ['gcpCredential', true], ['private_key', true], ['AWS_SECRET_ACCESS_KEY', true], ['jwt', true],
    ['user', false], ['host', false], ['author', false], ['attempts', false], ['keyspace', false], ['passenger', false], ['', false],
  ];
  it('names secrets by the words inside them, whatever the case and separators', () => {
    assert.deepEqual(names.filter(([name, secret]) => isSecretName(name) !== secret), []);
  });

  it('redacts secret-named detail keys at any depth, and scrubs every string', () => {
    const details = {
      dbPassword: 'p1', db_password: 'p2', accessToken: 't', client_secret: 's', 'x-api-key': 'k', Cookie: 'sid=1',
      nested: { credentials: { user: 'u', pass: 'x' }, attempts: 3, authorization: 'Token abc' },
      url: 'redis://default:pa@ss@redis', list: ['token=zzz', 'fine'], user: 'bob', empty_password: '',
    };
    assert.deepEqual(scrubValue(details), {
      dbPassword: '***', db_password: '***', accessToken: '***', client_secret: '***', 'x-api-key': '***', Cookie: '***',
      nested: { credentials: '***', attempts: 3, authorization: '***' },
      url: 'redis://default:***@redis', list: ['token=***', 'fine'], user: 'bob', empty_password: '',
    });
  });

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

describe('message cap and adversarial input', () => {
  // Inputs that made the old patterns backtrack (each run of name or scheme characters
  // retried from every position), 64 KB each. Their cost is measured in bench/scrub.ts.
  const adversarial: [string, string][] = [
    ['a.', 'a.'.repeat(32_768)],
    ['a', 'a'.repeat(65_536)],
    ['token', 'token'.repeat(13_108)],
    ['a=', 'a='.repeat(32_768)],
    ['://a', '://a'.repeat(16_384)],
    ['password=x ', 'password=x '.repeat(5_958)],
    ['eyJ', 'eyJ'.repeat(21_846)],
  ];
  for (const [unit, text] of adversarial) {
    it(`scrubs 64 KB of ${JSON.stringify(unit)} repeated, and the result is right`, () => {
      const scrubbed = scrubText(text);
      if (unit === 'password=x ') assert.equal(scrubbed, 'password=*** '.repeat(5_958));
      else assert.equal(scrubbed, text);
    });
  }

  it(`a message is cut to ${MAX_MESSAGE_CHARS} characters with a note, then scrubbed`, () => {
    const message = `connect to postgres://app:s3cret@db failed: ${'a.'.repeat(20_480)}`;
    const served = scrubMessage(message);
    assert.ok(served.startsWith('connect to postgres://app:***@db failed: a.a.'), served.slice(0, 60));
    const note = `… (truncated ${message.length - MAX_MESSAGE_CHARS} chars)`;
    assert.ok(served.endsWith(note), served.slice(-60));
    assert.equal(served.length, MAX_MESSAGE_CHARS + note.length);
    assert.equal(scrubMessage('short and fine'), 'short and fine');
  });

  it('the cut never leaves half a password in view', () => {
    // The URL straddles the cap: its "@" lies past it.
    const message = `${'x'.repeat(MAX_MESSAGE_CHARS - 20)} redis://default:hunter2hunter2hunter2@cache rest`;
    const served = scrubMessage(message);
    assert.ok(!served.includes('hunter'), served.slice(-80));
  });

  it('a check whose message is 40 KB of adversarial text: the report carries the capped, scrubbed message', async () => {
    const registry = new HealthRegistry();
    registry.register('noisy', () => ({ status: 'degraded', message: `token=abc ${'a.'.repeat(20_480)}` }));
    const [noisy] = (await registry.runAll()).checks;
    assert.match(noisy?.message ?? '', /^token=\*\*\* a\.a\..*… \(truncated \d+ chars\)$/);
    assert.ok((noisy?.message.length ?? Infinity) < MAX_MESSAGE_CHARS + 40);
  });
});

describe('through real HTTP', () => {
  beforeEach(() => healthRegistry.clear());
  afterEach(() => shutdownObservability());

  it('/health serves no credential from a check; /health/tools serves links without userinfo', async () => {
    healthRegistry.register('redis', () => ({
      status: 'unhealthy',
      message: 'NOAUTH redis://default:pa@ss@redis:6379 DB_PASSWORD=hunter2',
      details: { dbPassword: 'p1', 'x-api-key': 'k1', Cookie: 'sid=c1', refresh: 'refresh_token=r1' },
    }));
    const { server } = await initObservability({
      port: 0, host: '127.0.0.1',
      env: { GRAFANA_URL: 'https://admin:pass@grafana.internal/d/x?orgId=1', FLOWER_URL: 'http://flower:5555' },
      prometheusUrl: 'http://user:s3cr%40t@prometheus:9090',
    });
    const url = baseUrl(server);
    const health = (await request(`${url}/health`)).text;
    for (const secret of ['pa@ss', 'hunter2', 'p1', 'k1', 'c1', 'r1']) assert.ok(!health.includes(secret), `${secret} in ${health}`);
    assert.match(health, /redis:\/\/default:\*\*\*@redis:6379 DB_PASSWORD=\*\*\*/);
    const tools = (await request(`${url}/health/tools`)).json();
    assert.deepEqual(tools, {
      flower: 'http://flower:5555',
      grafana: 'https://grafana.internal/d/x?orgId=1',
      prometheus: 'http://prometheus:9090/',
    });
  });
});
