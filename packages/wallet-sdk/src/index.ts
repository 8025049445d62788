export { OpenTspError, isProblem, type Problem, type ProblemCode } from './errors';
