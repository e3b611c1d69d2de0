export * from './kratos';
export * from './context';
export * from './session';
export * from './flows';
export * from './proxy';
export * from './create-kratos';
export * from './render';
