// The model API in one import: builders, Layers files on disk, stable weight names and topologies.
export { buildBuiltinModel, buildModel, BUILTIN_MODEL_TYPES, exportTopology, hasSplitSoftmax, type BuiltinModelSpec, type LayersJsonModelSpec, type ModelSpec } from './builders';
export { layersFileHandler, loadLayersModelFile, readLayersArtifacts, saveLayersModelFile, type LayersFileOptions } from './layersFile';
export { listModelWeights, modelFromTopology, modelTopology, setWeightsByName, shortWeightName, weightName, type LayersTopology, type ModelWeight } from './weights';
export { withoutFinalSoftmax } from './softmax';
