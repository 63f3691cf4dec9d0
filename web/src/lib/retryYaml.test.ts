import { describe, expect, it } from 'vitest';
import { EXAMPLE_RULES_YAML, rulesToYaml } from './retryYaml';

describe('rulesToYaml', () => {
  it('writes stored rules in the call-manager format (the README example back out)', () => {
    expect(
      rulesToYaml([
        { day_of_week: 'saturday', start_time: '10:00:00', end_time: '12:00:00', retry_interval_minutes: 60 },
        { day_of_week: 'saturday', start_time: '19:00:00', end_time: '20:00:00', retry_interval_minutes: 30 },
      ]),
    ).toBe(EXAMPLE_RULES_YAML);
  });
  it('writes nothing for no rules', () => {
    expect(rulesToYaml([])).toBe('');
    expect(rulesToYaml(undefined)).toBe('');
  });
  it('quotes values so odd text stays a string', () => {
    expect(rulesToYaml([{ day_of_week: 'say "hi"', start_time: '1', end_time: '2', retry_interval_minutes: 5 }])).toContain(
      'day_of_week: "say \\"hi\\""',
    );
  });
});
