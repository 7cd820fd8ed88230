/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  moduleFileExtensions: ['js', 'ts', 'json', 'html'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
    '^.+\\.html$': '<rootDir>/test/support/htmlTransform.js',
  },
  globalSetup: '<rootDir>/test/support/globalSetup.js',
  testTimeout: 60000,
  // End-to-end suites start real servers and PTYs; two workers match CI's two cores.
  maxWorkers: 2,
};
