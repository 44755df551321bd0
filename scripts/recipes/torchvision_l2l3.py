# The docs' torchvision recipe, verbatim except weights=None (no hub offline) and no dynamo= (torch < 2.5).
import sys, torch, torchvision
name = sys.argv[1]
net = getattr(torchvision.models, name)(weights=None).eval()

class Layer2Layer3(torch.nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net
    def forward(self, x):
        n = self.net
        x = n.maxpool(n.relu(n.bn1(n.conv1(x))))
        l2 = n.layer2(n.layer1(x))
        return l2, n.layer3(l2)

torch.onnx.export(
    Layer2Layer3(net), torch.zeros(1, 3, 224, 224), f"{sys.argv[2]}/{name}_l2l3.onnx",
    input_names=["input"], output_names=["layer2", "layer3"],
    dynamic_axes={"input": {2: "h", 3: "w"}, "layer2": {2: "h8", 3: "w8"}, "layer3": {2: "h16", 3: "w16"}},
    opset_version=17,
)
print("torch", torch.__version__, "exported", name)
