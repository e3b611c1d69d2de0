export * from './kratos';
export * from './context';
export * from './session';
