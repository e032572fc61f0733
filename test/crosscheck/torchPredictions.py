# Loads an extracted ELSA level (safetensors, read with struct: the Python `safetensors` package is not needed)
# into the same networks built with PyTorch, and prints their logits for the given inputs as JSON.
import json, struct, sys
import numpy as np
import torch
import torch.nn.functional as F

path, inputs_path, kind = sys.argv[1], sys.argv[2], sys.argv[3]
with open(path, 'rb') as f:
    n = struct.unpack('<Q', f.read(8))[0]
    header = json.loads(f.read(n))
    data = f.read()
W = {}
for name, e in header.items():
    if name == '__metadata__':
        continue
    a, b = e['data_offsets']
    assert e['dtype'] == 'F32', e['dtype']
    W[name] = torch.from_numpy(np.frombuffer(data[a:b], dtype='<f4').reshape(e['shape']).copy())

spec = json.load(open(inputs_path))
x = torch.tensor(spec['images'], dtype=torch.float32).reshape(spec['shape'])  # NHWC
with torch.no_grad():
    if kind == 'mlp':
        h = x.reshape(x.shape[0], -1)
        h = F.relu(h @ W['dense1/kernel'] + W['dense1/bias'])
        h = F.relu(h @ W['dense2/kernel'] + W['dense2/bias'])
        out = h @ W['logits/kernel'] + W['logits/bias']
    else:
        conv = lambda t, k, b: F.conv2d(t, k.permute(3, 2, 0, 1), b, padding='same')  # HWIO -> OIHW
        h = x.permute(0, 3, 1, 2)
        h = F.max_pool2d(F.relu(conv(h, W['conv1/kernel'], W['conv1/bias'])), 2)
        h = F.max_pool2d(F.relu(conv(h, W['conv2/kernel'], W['conv2/bias'])), 2)
        h = h.permute(0, 2, 3, 1).reshape(h.shape[0], -1)  # flatten in NHWC order, as TF.js does
        h = F.relu(h @ W['dense1/kernel'] + W['dense1/bias'])
        out = h @ W['logits/kernel'] + W['logits/bias']
print(json.dumps({'logits': out.reshape(-1).tolist(), 'torch': torch.__version__}))
