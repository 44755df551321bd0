# A token-output network of the DINOv2 recipe's shape from what Debian ships: torchvision's ViT-B/16, random weights,
# the encoder's output (class token + 14x14 patch tokens). Fixed 224 px: torchvision's position embedding is.
import sys, torch, torchvision
net = torchvision.models.vit_b_16(weights=None).eval()
class Tokens(torch.nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m
    def forward(self, pixel_values):
        x = self.m._process_input(pixel_values)
        x = torch.cat([self.m.class_token.expand(x.shape[0], -1, -1), x], dim=1)
        return self.m.encoder(x)  # [1, 1 + 196, 768]
torch.onnx.export(Tokens(net), torch.zeros(1, 3, 224, 224), f"{sys.argv[1]}/vit_b16_tokens.onnx",
    input_names=["pixel_values"], output_names=["last_hidden_state"], opset_version=17)
print("exported")
