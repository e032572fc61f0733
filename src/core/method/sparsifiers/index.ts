import type { SparsifierSpec } from '../../config';
import { createAcdc } from './acdc';
import { createGmp } from './gmp';
import { createOneShotMagnitude } from './magnitude';
import { createNM } from './nm';
import type { Sparsifier } from './types';

export type { Sparsifier, SparsifiableTensor, SelectionRequest } from './types';

export function createSparsifier(spec: SparsifierSpec): Sparsifier {
  switch (spec.type) {
    case 'gmp':
      return createGmp(spec);
    case 'magnitude':
      return createOneShotMagnitude(spec);
    case 'nm':
      return createNM(spec);
    case 'acdc':
      return createAcdc(spec);
  }
}
