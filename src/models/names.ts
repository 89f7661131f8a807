/** @module The model names of the registry as a light list (no native code), for option tables; a test checks it against listModels(). */
export const MODEL_NAMES = ['resnet18', 'resnet34', 'resnet50', 'cifar_resnet18', 'cifar_resnet34', 'cifar_resnet20', 'cifar_resnet32', 'cifar_resnet56', 'small_cnn'] as const;
export type ModelNameOption = (typeof MODEL_NAMES)[number];
