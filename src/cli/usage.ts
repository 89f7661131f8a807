/** @module Help texts of `adaptune pretrain`, `finetune` and `quickstart` (true to args-train.ts and the commands' defaults). */

export const QUICKSTART_USAGE = `Usage: adaptune quickstart [flags]

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

Flags:
  --data TASK               target task (default fmnist:target-mid; also fmnist:target-shift,
                            textures:target-far, fmnist:source)
  --labels-per-class N      10, 50, 100 or all (default 50)
  --seed N                  seed of the label budget, init and data order (default 0)
  --out DIR                 run directory (default runs/quickstart-<timestamp>)
  --quick                   a tiny budget (3 steps per strategy, 500 test images, PGD-3 on 100): a smoke test
  --threads N               libtorch intra-op threads (default: ADAPTUNE_NUM_THREADS or the cores)
  --json                    print ONE JSON object with the table on stdout (progress stays on stderr)
  -h, --help                this help
`;

export const PRETRAIN_USAGE = `Usage: adaptune pretrain [flags]

Trains a backbone with plain supervised cross entropy (SGD momentum, cosine schedule per
step, L2 weight decay, random crop with padding 2 + horizontal flip) on a benchmark task,
evaluates it on the task's test split, and writes into the run directory: weights.safetensors
and its sidecar weights.json (model, task, training, source test accuracy, command, sha256,
versions), config.json (the resolved engine config), metrics.jsonl, log.txt, summary.json
and checkpoints/.

Flags:
  --data TASK               task to train on (default fmnist:source)
  --labels-per-class N      10, 50, 100 or all (default all)
  --model NAME              cifar_resnet20 (default), cifar_resnet32/56/18/34, resnet18/34/50, small_cnn
  --width N                 channels of the first stage (default 16; not for small_cnn)
  --epochs N                passes over the training set (default 8)
  --batch-size N            default 128
  --lr X                    SGD learning rate (default 0.1)
  --momentum X              SGD momentum in [0, 1) (default 0.9)
  --weight-decay X          L2 coefficient (default 5e-4)
  --seed N                  seed of init, data order and augmentation (default 0)
  --config FILE             JSON/YAML engine config (method options under "method");
                            order: defaults < file < flags < --set
  --set a.b=c               override any config field, repeatable (e.g. --set maxSteps=100)
  --out DIR                 run directory (default runs/<timestamp>-pretrain)
  --export FILE             also write the weights to FILE (.safetensors) and the sidecar FILE.json
  --threads N               libtorch intra-op threads (default: ADAPTUNE_NUM_THREADS or the cores)
  --json                    print ONE JSON object on stdout (progress stays on stderr)
  -h, --help                this help
`;

export const FINETUNE_USAGE = `Usage: adaptune finetune [flags]

Fine-tunes the bundled backbone, or --weights FILE, on a benchmark task; evaluates on the
task's test split and prints the summary. --method finetune (default): standard fine-tuning
(Li et al., ICLR 2020; src/methods/finetune/README.md). --method adafilter: AdaFilter (Guo et
al., AAAI 2020; src/methods/adafilter/README.md), per-example gated choice between frozen and
fine-tuned filters. Run directory: config.json, metrics.jsonl, log.txt, summary.json,
checkpoints/, and (finetune only) weights.safetensors + weights.json.

Flags:
  --method M                finetune (default) or adafilter
  --data TASK               target task (default fmnist:target-mid)
  --labels-per-class N      10, 50, 100 or all (default 50)
  --momentum X              SGD momentum in [0, 1) (default 0.9)
  --weight-decay X          plain L2 coefficient (default 1e-4)
  --head H                  reinit (default), imprint (finetune only), keep
  --head-lr-scale X         lr multiplier of the head (default 1; adafilter 10)
  --epochs N                default 30
  --batch-size N            default 32
  --seed N                  seed of the label budget, head init and data order (default 0)
  --weights FILE            backbone .safetensors with its sidecar .json (default: the bundled one)
  --config FILE             JSON/YAML engine config (method options under "method");
                            order: defaults < file < flags < --set
  --set a.b=c               override any config field, repeatable (e.g. --set scheduler.name=none)
  --out DIR                 run directory (default runs/<timestamp>-finetune)
  --resume DIR              continue an interrupted run (its recorded method) from its newest valid checkpoint;
                            with --epochs N (or --set maxSteps=N) extend it; other changed flags are refused
  --threads N               libtorch intra-op threads (default: ADAPTUNE_NUM_THREADS or the cores)
  --json                    print ONE JSON object on stdout (progress stays on stderr)
  -h, --help                this help

Standard fine-tuning (--method finetune):
  --strategy S              full (default), linear-probe, partial, scratch
  --freeze-up-to STAGE      partial only: last frozen stage (stem, layer1, layer2, ...)
  --elr X | --lr X          effective learning rate (default 0.1) or plain SGD lr; lr = elr * (1 - momentum)
  --regularizer R           l2 (default), l2-sp, none
  --alpha X, --beta X       L2-SP coefficients (defaults 0.01, 1e-4)
  --bn B                    train (default) or frozen

AdaFilter (--method adafilter; other options with --set method.<field>=..., see its README):
  --lr X                    SGD lr of the fine-tuned filters (default 0.01)
  --gate-lr-scale X         lr multiplier of the gate network (default 10)
  --gate G                  lstm (default; one cell shared by all gated layers), gru, mlp (per layer)
  --binarize B              st (straight-through threshold, default) or gumbel
  --temperature X           Gumbel-sigmoid temperature (default 5)
  --stages A,B              stages whose convolutions are gated (default: all, e.g. stem,layer1,layer2,layer3)
  --no-gated-bn             one BN after the mix instead of gated BN (the ablation)
  --usage-penalty X         rho of the penalty rho * mean(gate) (default 0)
`;
