export { flowRoutes, flowRoutesFor, type FlowRoutesMiddleware } from './routes';
export type { FlowHook, FlowRenderFunction, FlowRouteName, FlowRouteOptions, FlowRoutePaths, FlowRoutesOptions, FlowStartParams } from './types';
export { FLOW_PARAMS } from './params';
