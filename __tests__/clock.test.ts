import { CLOCK_NOISE_MS, describeOffset, parseHttpDate, ServerClock } from '../lib/clock.js';

describe('ServerClock', () => {
  test('starts at the local clock', () => {
    const clock = new ServerClock();
    expect(clock.offsetMs).toBe(0);
    expect(clock.measuredOffsetMs).toBeUndefined();
    expect(Math.abs(clock.now() - Date.now())).toBeLessThan(50);
  });

  test('learns a large offset from Date', () => {
    const clock = new ServerClock();
    const sent = Date.now();
    const serverDate = new Date(sent + 120_000).toUTCString();
    expect(clock.observe(serverDate, sent, sent + 20)).toBe(true);
    expect(Math.abs(clock.offsetMs - 120_000)).toBeLessThanOrEqual(1500);
    expect(clock.now() - Date.now()).toBe(clock.offsetMs);
  });

  test('ignores offsets within the noise', () => {
    const clock = new ServerClock();
    const sent = Date.now();
    expect(clock.observe(new Date(sent + 800).toUTCString(), sent, sent + 10)).toBe(false);
    expect(clock.offsetMs).toBe(0);
    expect(clock.measuredOffsetMs).toBeDefined();
    expect(Math.abs(clock.measuredOffsetMs!)).toBeLessThan(CLOCK_NOISE_MS);
  });

  test('returns to zero when the skew goes away', () => {
    const clock = new ServerClock();
    const sent = Date.now();
    clock.observe(new Date(sent - 60_000).toUTCString(), sent, sent);
    expect(clock.offsetMs).toBeLessThan(-50_000);
    expect(clock.observe(new Date(sent).toUTCString(), sent, sent)).toBe(true);
    expect(clock.offsetMs).toBe(0);
  });

  test('ignores a missing or malformed Date', () => {
    const clock = new ServerClock();
    expect(clock.observe(undefined, 0, 1)).toBe(false);
    expect(clock.observe('yesterday-ish', 0, 1)).toBe(false);
    expect(clock.measuredOffsetMs).toBeUndefined();
  });
});

describe('parseHttpDate', () => {
  test('reads IMF-fixdate', () => {
    expect(parseHttpDate('Sun, 06 Nov 1994 08:49:37 GMT')).toBe(Date.UTC(1994, 10, 6, 8, 49, 37));
  });

  test('rejects non-dates', () => {
    expect(parseHttpDate('')).toBeUndefined();
    expect(parseHttpDate(12)).toBeUndefined();
    expect(parseHttpDate('not a date')).toBeUndefined();
  });
});

describe('describeOffset', () => {
  test('names the direction of a large offset', () => {
    expect(describeOffset(45_200)).toBe("+45.2 s (this host's clock is behind the token endpoint's)");
    expect(describeOffset(-90_000)).toBe("-90.0 s (this host's clock is ahead of the token endpoint's)");
    expect(describeOffset(300)).toBe('0.3 s');
  });
});
