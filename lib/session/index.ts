export { SessionCore, type SessionCheckResult, type SessionCoreStats } from './core';
