/** Thrown when the renderer is given options (or a CSP nonce) it cannot use. Branch on `code`. */
export class RenderOptionsError extends TypeError {
  readonly code = 'KRATOS_EXPRESS_INVALID_RENDER_OPTIONS';
  readonly status = 500;
  readonly statusCode = 500;
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(
      problems.length === 1
        ? `kratos-express render: ${problems[0]}`
        : `kratos-express render: ${problems.length} problems with the options:\n- ${problems.join('\n- ')}`,
    );
    this.name = 'RenderOptionsError';
    this.problems = problems;
  }
}
