/**
 * Which weights a sparsifier may prune, by layer class: pure data, so readers that never load TF.js (the
 * checkpoint contract check in io/elsaContract.ts) and the model code (weights.ts) share one list.
 */
export const SPARSIFIABLE: Readonly<Record<string, readonly string[]>> = {
  Dense: ['kernel'],
  Conv1D: ['kernel'],
  Conv2D: ['kernel'],
  Conv3D: ['kernel'],
  Conv2DTranspose: ['kernel'],
  LocallyConnected2D: ['kernel'],
  DepthwiseConv2D: ['depthwise_kernel'],
  SeparableConv2D: ['depthwise_kernel', 'pointwise_kernel'],
};
