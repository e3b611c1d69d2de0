/** Browser tests: `npm run test:e2e` (builds dist/ first). Chromium comes from the system (apt-get install chromium). */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/__tests__/e2e'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.tsx?$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.jest.json' }] },
  testTimeout: 60000,
  maxWorkers: 1,
};
