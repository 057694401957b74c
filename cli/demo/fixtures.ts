import path from 'node:path';

/** Real data nobody on this project wrote (copies of the shared fixtures), kept in the repository. */
export const FIXTURES = path.join(__dirname, '..', '..', 'test', 'fixtures');

/** The FOCUS 1.0 sample export: the demo's cloud expenses and the tests' billing data. */
export const FOCUS_SAMPLE_CSV = path.join(FIXTURES, 'focus', 'focus-1.0-sample.csv');
