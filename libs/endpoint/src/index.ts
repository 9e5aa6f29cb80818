export * from './providers/api';
