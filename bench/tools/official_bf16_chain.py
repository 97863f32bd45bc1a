"""How far the OFFICIAL code's own bf16 path (sample_latents(use_fp16=True): torch.autocast on a CPU) lands
from its float32 path on the golden e2e models, as a yardstick for Shape Studio's bf16 chain.

Run from the repository root:  /usr/bin/python3 bench/tools/official_bf16_chain.py
Needs Debian's python3-torch (bash ../shared/reference/official/run.sh installs it) and ../shared/.
Prints, per case, the relative L2 distance ||autocast - float32|| / ||float32|| of the final latents.
"""
import json, os, sys

SHARED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared")
OFFICIAL = os.path.join(SHARED, "reference", "official")
sys.path[:0] = [os.path.join(OFFICIAL, "stubs"), os.path.join(OFFICIAL, "src")]
GOLDEN = os.path.join(SHARED, "golden")
import torch  # noqa: E402
import clip  # noqa: E402
import clip.clip as _clip_clip  # noqa: E402
from clip.model import CLIP  # noqa: E402


def _small_clip(name, device="cpu", jit=False, download_root=None):
    """clip.load() would download ViT-L-14.pt; the embeddings are passed in, so any CLIP will do."""
    config = {k: v for k, v in json.load(open(os.path.join(GOLDEN, "e2e.clip.json"))).items() if k[0] != "_"}
    return CLIP(**config).float().eval().to(device), _clip_clip._transform(config["image_resolution"])


clip.load = _clip_clip.load = _small_clip
# The grid widths are hard-coded for ViT-L/14; the small CLIP's patch grid is 16x16 of 64 channels.
import shap_e.models.generation.pretrained_clip as _pretrained_clip  # noqa: E402
_pretrained_clip.ImageCLIP.grid_feature_dim = property(lambda self: self.clip_model.visual.conv1.out_channels)
from shap_e.models.configs import model_from_config  # noqa: E402
from shap_e.diffusion.gaussian_diffusion import diffusion_from_config  # noqa: E402
from shap_e.diffusion.sample import sample_latents  # noqa: E402


def run(kind):
    meta = json.load(open(os.path.join(GOLDEN, f"e2e_{kind}.json")))
    case = torch.load(os.path.join(GOLDEN, f"e2e_{kind}.pt"))
    model = model_from_config(meta["transformer_config"], torch.device("cpu")).eval()
    model.load_state_dict(torch.load(os.path.join(GOLDEN, f"e2e_{kind}.transformer.state_dict.pt")))
    model.cached_model_kwargs = lambda batch_size, kwargs: kwargs  # the CLIP outputs are given, not computed
    diffusion = diffusion_from_config(meta["diffusion_config"])
    sampler = meta["sampler"]
    cond = case["model_kwargs.embeddings"][:2]  # [cond | zeros] in the golden; sample_latents adds the zeros
    samples = {}
    for use_fp16 in (False, True):
        torch.manual_seed(meta["seed"])
        with torch.no_grad():
            samples[use_fp16] = sample_latents(
                batch_size=2, model=model, diffusion=diffusion, model_kwargs=dict(embeddings=cond),
                guidance_scale=sampler["guidance_scale"], clip_denoised=True, use_fp16=use_fp16, use_karras=True,
                karras_steps=sampler["steps"], sigma_min=sampler["sigma_min"], sigma_max=sampler["sigma_max"],
                s_churn=0.0)
    reference = samples[False]
    relative = ((samples[True] - reference).norm() / reference.norm()).item()
    golden = ((reference - case["sample"]).norm() / case["sample"].norm()).item()
    print(f"e2e_{kind} (guidance {sampler['guidance_scale']}): autocast bf16 vs float32 relative L2 {relative:.4f}"
          f" (max |d| {(samples[True] - reference).abs().max().item():.4f}; float32 run vs golden {golden:.2e})")


if __name__ == "__main__":
    torch.set_num_threads(os.cpu_count())
    for kind in ("text", "image"):
        run(kind)
