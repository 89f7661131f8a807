/** @module The prose of the help texts of `adaptune pretrain`, `finetune` and `quickstart`; their flags come from the option tables (args-train.ts). */

export const QUICKSTART_INTRO = `Usage: adaptune quickstart [flags]

A complete small transfer experiment, about 1.5 minutes on 2 idle CPU cores. The bundled
backbone (assets/backbones/, a cifar_resnet20 w16 pre-trained on fmnist:source) gets a
new head for the target task and is trained in five ways, 30 epochs of batch 32 each
(SGD momentum 0.9, cosine schedule, crop + flip):
  linear-probe   backbone frozen (BN in eval), head trained (elr 1)
  full           every weight trains, plain L2 1e-4 (elr 0.3)
  full-l2sp      every weight trains, L2-SP towards the pre-trained weights (alpha 0.01, beta 1e-4; elr 1)
  adafilter      AdaFilter: per-example gated filters, LSTM gate, gated BN (lr 0.01, gate and head x10)
  scratch        same architecture from random init, plain L2 1e-4 (elr 0.3): the baseline
Each is evaluated on the task's full test split. The best of linear-probe/full/full-l2sp
(by test accuracy) is then attacked (clean, FGSM and PGD-10 accuracy, L-inf eps 0.1, 500
test images) and exported to OUT/best.onnx, verified in ONNX Runtime. Prints a table of
test accuracy and time, and writes the run directory (one sub-run per strategy,
best.onnx, summary.json, results.md).
`;

export const PRETRAIN_INTRO = `Usage: adaptune pretrain [flags]

Trains a backbone with plain supervised cross entropy (SGD momentum, cosine schedule per
step, L2 weight decay, --augment, default random crop + horizontal flip) on a built-in task or
your images (--data imagefolder:DIR); evaluations during training see a validation split
(--val-fraction; 0 reproduces the bundled backbone), the test split is evaluated once at the
end; it writes into the run directory: weights.safetensors
and its sidecar weights.json (model, task, training, source test accuracy, command, sha256,
versions), config.json (the resolved engine config), metrics.jsonl, log.txt, summary.json
and checkpoints/.
`;

export const FINETUNE_INTRO = `Usage: adaptune finetune [flags]

Fine-tunes the bundled backbone, or --weights FILE (.safetensors, .pth) / --model NAME, on a
built-in task or your images (--data imagefolder:DIR); selects on a validation split only,
evaluates the test split once at the end and prints the summary (val and test apart: accuracy,
macro-F1, per class, confusion matrix). --method finetune (default): standard fine-tuning
(Li et al., ICLR 2020; src/methods/finetune/README.md). --method adafilter: AdaFilter (Guo et
al., AAAI 2020; src/methods/adafilter/README.md), per-example gated choice between frozen and
fine-tuned filters. Run directory: config.json, metrics.jsonl, log.txt, summary.json,
checkpoints/, and (finetune only) weights.safetensors + weights.json.
`;
