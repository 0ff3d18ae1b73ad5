"""Complete models/lung-unet/MODEL_CARD.md with how the weights were trained and how well they do.

usage: python3 training/model_card.py --eval eval.json [--checkpoint-dir ~/.cache/cairn-train] [--card PATH]

Run after training/export_onnx.py (which writes the card's model, processing and export-check sections),
training/evaluate.py --json eval.json and training/figures.py. Appends: training data and licences, the recipe,
the command and the SHA-256 of the data archives (run.json), the validation curve (validation.csv), per-case
results of the model and of the classical baseline, and the known failure modes with the figures.
"""
import argparse
import csv
import json
import os

import train

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

LICENCES = {
    "LUNG1-002": "NSCLC-Radiomics (TCIA), CC BY-NC 3.0",
    "LUNG1-003": "NSCLC-Radiomics (TCIA), CC BY-NC 3.0",
    "onkodicom-RT02": "OnkoDICOM project test data (provenance not stated; used for validation only)",
}


def train_command(recipe: dict, run: dict) -> str:
    """The train.py command line that reproduces `recipe`, with the default checkpoint directory."""
    words = ["/usr/bin/python3 training/train.py"]
    defaults = vars(train.parse_args([]))
    for key in train.RECIPE_KEYS:
        value = recipe.get(key, defaults[key])
        if value == defaults[key]:
            continue
        flag = "--" + key.replace("_", "-")
        if value is True:
            words.append(flag)
        elif isinstance(value, list):
            words.append(" ".join([flag] + [str(item) for item in value]))
        else:
            words.append(f"{flag} {value:g}" if isinstance(value, float) else f"{flag} {value}")
    if run.get("threads", 1) != 1:
        words.append(f"--threads {run['threads']}")
    return " ".join(words + ["--max-minutes 170"])


def label_treatment(recipe: dict) -> str:
    parts = []
    if recipe.get("align_labels"):
        parts.append("each training case's expert masks shifted by the whole pixel that best matches the air edge "
                     "(`dataset.best_whole_pixel_shift`)")
    if recipe.get("carve_band"):
        parts.append(f"expert lung pixels within {recipe['carve_band']} pixels inside the outline and at or above "
                     f"{recipe['carve_hu']:g} HU removed (`dataset.carve_dense_edge`: chest wall or mediastinum taken "
                     "in by a coarse outline; nothing is added)")
    if recipe.get("snap_band"):
        parts.append(f"outlines snapped onto the air edge within {recipe['snap_band']} pixels at "
                     f"{recipe['snap_hu']:g} HU (`dataset.snap_to_air_edge`)")
    if not parts:
        return "the expert contours as drawn."
    return "; ".join(parts) + " (`training/label_edges.py` measures why)."


def cost(steps_log: list) -> str:
    """Measured wall and CPU time of the training steps (train_log.csv; validation and loading excluded)."""
    if not steps_log:
        return "no step timings recorded"
    wall = sum(float(row["seconds"]) for row in steps_log)
    cpu = sum(float(row["cpu_seconds"]) for row in steps_log)
    return (f"{len(steps_log)} steps took {wall / 3600:.1f} h of wall time and {cpu / 3600:.1f} h of CPU time "
            f"({cpu / len(steps_log):.1f} CPU s per step) on this 2-core machine")


def section_training(run: dict, validation: list, steps_log: list) -> list:
    recipe = run["recipe"]
    lines = [
        "## Training",
        "- Data: real chest CT with expert lung contours (RT-STRUCT), split by patient:",
    ]
    for name in recipe["train_cases"]:
        lines.append(f"  - training: {name} ({LICENCES.get(name, 'see ../shared/data/README.md')})")
    lines.append(f"  - validation: onkodicom-RT02 ({LICENCES['onkodicom-RT02']})")
    lines += [
        "  None of these images is redistributed here; only the demo study (LIDC-IDRI-0001, CC BY 3.0) is.",
        f"- Recipe (`training/train.py`): seed {recipe['seed']}, {recipe['steps']} Adam steps of batch "
        f"{recipe['batch']} (256x256 slices), learning rate {recipe['lr']:g} with {recipe['warmup']} warm-up steps "
        f"and cosine decay to {recipe['min_lr']:g}; loss: smoothed Dice + binary cross-entropy (the Dice term is "
        "the paper's; the cross-entropy term gives useful gradients on slices with little or no lung); "
        "augmentation (`training/dataset.py`): left-right flips (the network learns the union of both lungs; right "
        "and left are told apart afterwards, by position), rotations within 10 degrees, zoom 0.7-1.45, shifts up "
        "to 8 %, HU scaled by 1 +- 5 % and offset by +-30 HU, Gaussian noise of 0-25 HU.",
        f"- Labels: {label_treatment(recipe)}",
        f"- Command: `{train_command(recipe, run)}` (resumable: run it again until it prints \"done\"), PyTorch "
        f"{run.get('torch', '?')}, {run.get('threads', 1)} CPU thread{'s' if run.get('threads', 1) > 1 else ''}; "
        f"{cost(steps_log)}.",
        "- SHA-256 of the data archives:",
    ]
    for archive, digest in sorted(run.get("data_sha256", {}).items()):
        lines.append(f"  - `{archive}`: `{digest}`")
    if validation:
        lines += ["", "Validation during training (onkodicom-RT02, 3-D Dice after post-processing):", "",
                  "| step | epoch | Dice | Dice before post-processing | volume (mL) | expert (mL) |",
                  "|---:|---:|---:|---:|---:|---:|"]
        for row in validation:
            lines.append(f"| {row['step']} | {float(row['epoch']):.0f} | {float(row['dice_3d']):.4f} | "
                         f"{float(row['dice_3d_raw']):.4f} | {float(row['volume_ml']):.0f} | "
                         f"{float(row['expert_ml']):.0f} |")
    return lines + [""]


def section_results(evaluation: dict) -> list:
    lines = [
        "## Results",
        "3-D Dice against the experts' lungs after post-processing (`training/evaluate.py`); the classical baseline is "
        "a threshold at -320 HU, air touching the border dropped, the two largest 3-D components, holes filled "
        "(`training/baseline.py`). The engine gives the same masks as PyTorch (`cairn segment MODEL SERIES "
        "--reference RTSTRUCT`, checked by `ctest -R cli_segment_real`).",
        "",
        "| case | use | Dice model | Dice baseline | right lung | left lung | model (mL) | expert (mL) | volume error |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in evaluation["results"]:
        lines.append(f"| {r['case']} | {r['use']} | **{r['dice_model']:.4f}** | {r['dice_baseline']:.4f} | "
                     f"{r['dice_right']:.4f} | {r['dice_left']:.4f} | {r['model_ml']:.0f} | {r['expert_ml']:.0f} | "
                     f"{r['volume_error_pct']:+.1f} % |")
    lines += [
        "",
        "Training-case figures measure fit, not generalisation: only onkodicom-RT02 (another scanner, another "
        "hospital, never seen in training) is an estimate of performance on new data, and one case is a small "
        "sample. Two experts contouring the same patient agree at a Dice of about 0.99.",
        "",
    ]
    return lines


def section_failures() -> list:
    return [
        "## Known failure modes",
        "- **Gas below the diaphragm** (observed): with an interim checkpoint (step 275), 1,000-2,600 voxels per "
        "slice of bowel gas on the 30 lowest slices of onkodicom-RT02 were labelled lung and joined to a lung in 3-D; "
        "the per-slice curves below show where the final weights still disagree with the experts.",
        "- **Trachea and main bronchi** (not measured): the experts exclude them; the model learned that from two "
        "patients only, so check the hila.",
        "- **Dense lung** (not measured): tumour, consolidation or effusion against the pleura was excluded by the "
        "experts of the two training patients; nothing like pneumonia was seen in training.",
        "- **Out of scope**: non-axial or tilted series, paediatric scans, contrast phases and reconstruction "
        "kernels far from the training data, slices without lung (the mask should be empty, but check).",
        "",
        "Per slice, model and baseline against the experts (curves only: these images may not be redistributed):",
        "",
        "![LUNG1-002](figures/per-slice-LUNG1-002.png)",
        "![LUNG1-003](figures/per-slice-LUNG1-003.png)",
        "![onkodicom-RT02](figures/per-slice-onkodicom-RT02.png)",
        "",
        "On the demo study (no expert contours; model in red, baseline outlined in blue):",
        "",
        "![LIDC-IDRI-0001](figures/demo-lidc-idri-0001.png)",
        "",
        "## Intended use",
        "Research and education: showing how a CNN runs inside a browser on images that stay in the PACS, and "
        "comparing its masks with experts' contours. It is not a medical device and must not be used for "
        "diagnosis or treatment.",
        "",
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--eval", required=True, help="training/evaluate.py --json output")
    parser.add_argument("--checkpoint-dir", default=os.path.expanduser("~/.cache/cairn-train"))
    parser.add_argument("--card", default=os.path.join(REPO, "models", "lung-unet", "MODEL_CARD.md"))
    args = parser.parse_args()
    with open(os.path.join(args.checkpoint_dir, "run.json")) as f:
        run = json.load(f)
    with open(os.path.join(args.checkpoint_dir, "validation.csv")) as f:
        validation = list(csv.DictReader(f))
    with open(os.path.join(args.checkpoint_dir, "train_log.csv")) as f:
        steps_log = list(csv.DictReader(f))
    with open(args.eval) as f:
        evaluation = json.load(f)
    with open(args.card) as f:
        card = f.read()
    marker = "## Limits"
    head = card.split(marker)[0].rstrip() + "\n\n"
    extra = section_training(run, validation, steps_log) + section_results(evaluation) + section_failures()
    with open(args.card, "w") as f:
        f.write(head + "\n".join(extra) + "\nDemo data: LIDC-IDRI (The Cancer Imaging Archive), CC BY 3.0; "
                "see demo/ATTRIBUTION.\n")
    print(f"model_card.py: {args.card} completed")


if __name__ == "__main__":
    main()
