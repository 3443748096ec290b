// Side by side, one process per measurement (benchmarks/torchsharp/run.sh runs them alternately):
//   sample DIR --train N --test N                         CIFAR-shaped LMDB stores DIR/train.lmdb, DIR/test.lmdb
//   tensors ours|copy|loader|peer SOURCE [--size N] [--batch N] [--epochs N] [--workers N]
//                                                         batches as float32 N×3×S×S tensors, nothing else
//   train ours|peer SOURCE [--test SOURCE] --size N [--batch N] [--epochs N] [--workers N]
//                                                         the example's CNN trained on them
// SOURCE is a store for "ours" (TensorLoader: tensors viewing the loader's pinned pooled buffers), "copy" (the other
// design the issue names: the same ImageLoader, and two tensors made once and filled by one copy per batch) and
// "loader" (the ImageLoader's batches, no tensor at all: the ceiling); an image folder ROOT/class/file for "peer"
// (TorchSharp's own DataLoader over a SkiaSharp Dataset, its worker threads = --workers). Every epoch prints one line.
using System.Diagnostics;
using System.Runtime.InteropServices;
using ImageStash;
using ImageStash.Loading;
using ImageStash.Tools;
using ImageStash.TorchSharp;
using ImageStash.TorchSharp.Samples;
using TorchSharp;
using static TorchSharp.torch;

var a = new Queue<string>(args);
string command = a.Count > 0 ? a.Dequeue() : "";
var stores = new StoreRegistry(ImageStash.Lmdb.LmdbStore.Provider);
if (command == "sample")
{
    string dir = a.Dequeue();
    var o = Options(a);
    Directory.CreateDirectory(dir);
    using (var train = stores.Open(Path.Combine(dir, "train.lmdb"), new StoreOptions { Mode = StoreOpenMode.CreateNew }))
        CifarShaped.Fill(train, int.Parse(o["--train"]), seed: 1);
    using (var test = stores.Open(Path.Combine(dir, "test.lmdb"), new StoreOptions { Mode = StoreOpenMode.CreateNew }))
        CifarShaped.Fill(test, int.Parse(o["--test"]), seed: 2);
    return 0;
}
if (command is not ("tensors" or "train") || a.Count < 2)
{
    Console.Error.WriteLine("usage: TorchSharpBench sample DIR --train N --test N | tensors ours|copy|loader|peer SOURCE [--size N] | train ours|copy|peer SOURCE [--test SOURCE] [--size N]");
    return 2;
}
string which = a.Dequeue(), source = a.Dequeue();
var options = Options(a);
int? size = options.TryGetValue("--size", out var s) ? int.Parse(s) : null;
int batch = options.TryGetValue("--batch", out var b) ? int.Parse(b) : 128;
int epochs = options.TryGetValue("--epochs", out var e) ? int.Parse(e) : 3;
int workers = options.TryGetValue("--workers", out var w) ? int.Parse(w) : which == "peer" ? 2 : Environment.ProcessorCount;
string? testSource = options.GetValueOrDefault("--test");
float[] mean = [0.4914f, 0.4822f, 0.4465f], std = [0.2470f, 0.2435f, 0.2616f];

var trainBatches = Loader(source, train: true);
var testBatches = testSource is null ? null : Loader(testSource, train: false);
manual_seed(1);
using var model = new ResNetSmall(10, size ?? 32);
using var optimizer = optim.Adam(model.parameters(), lr: 0.003);
Console.WriteLine($"{command} {which} {source}: size {size?.ToString() ?? "as stored"}, batch {batch}, {workers} loader threads, {get_num_threads()} torch threads");
for (int epoch = 1; epoch <= epochs; epoch++)
{
    model.train();
    var wall = Stopwatch.StartNew();
    var waiting = new Stopwatch();
    double loss = 0;
    long seen = 0, right = 0;
    using var batches = trainBatches().GetEnumerator();
    while (true)
    {
        waiting.Start();
        bool more = batches.MoveNext();
        waiting.Stop();
        if (!more) break;
        var (images, labels, n) = batches.Current;
        using var scope = NewDisposeScope();
        if (command == "train")
        {
            optimizer.zero_grad();
            var output = model.forward(images!);
            var batchLoss = nn.functional.cross_entropy(output, labels!);
            batchLoss.backward();
            optimizer.step();
            loss += batchLoss.item<float>() * n;
            right += output.argmax(1).eq(labels!).sum().item<long>();
        }
        else if (images is not null)
            loss += images[0, 0, 0, 0].item<float>(); // touch the batch, as a step would
        seen += n;
    }
    wall.Stop();
    string test = testBatches is null ? "n/a" : $"{100 * Evaluate(testBatches):F1} %";
    Console.WriteLine(command == "train"
        ? $"epoch {epoch}: loss {loss / seen:F4}, train accuracy {100.0 * right / seen:F1} %, test accuracy {test}, {seen / wall.Elapsed.TotalSeconds:F0} images/s, loader wait {100 * waiting.Elapsed / wall.Elapsed:F1} %"
        : $"epoch {epoch}: {seen} images, {seen / wall.Elapsed.TotalSeconds:F0} images/s");
}
return 0;

// Each returns the batches of one epoch per call, as (images, labels, count); "loader" has no tensors (nulls).
Func<IEnumerable<(Tensor?, Tensor?, long)>> Loader(string path, bool train)
{
    if (which is "ours" or "copy" or "loader")
    {
        var store = stores.OpenRead(path);
        var loaderOptions = new LoaderOptions
        {
            BatchSize = train ? batch : 256, Seed = 1, Shuffle = train, Workers = workers, Size = size, Output = LoaderOutput.FloatsChw,
            Mean = mean, Std = std, RandomHorizontalFlip = train, RandomCropPadding = train && size is null ? 4 : 0, MinScale = 0.35,
            Crop = train ? LoaderCrop.Random : LoaderCrop.Center,
        };
        if (which == "ours")
        {
            var loader = new TensorLoader(store, loaderOptions);
            return () => loader.NextEpoch().Select(t => ((Tensor?)t.Images, (Tensor?)t.Labels, (long)t.Count));
        }
        var plain = new ImageLoader(store, loaderOptions);
        if (which == "loader") return () => plain.NextEpoch().Select(b => ((Tensor?)null, (Tensor?)null, (long)b.Count));
        var shape = plain.Shape;
        var images = empty([loaderOptions.BatchSize, shape.Channels, shape.Height, shape.Width], ScalarType.Float32);
        var labels = empty([loaderOptions.BatchSize], ScalarType.Int64);
        int capacity = loaderOptions.BatchSize;
        return () => plain.NextEpoch().Select(b => CopyInto(b, images, labels, capacity));
    }
    var dataset = new PeerDataset(path, size ?? throw new ArgumentException("the peer reads image folders: give --size"), train, mean, std);
    var dataLoader = utils.data.DataLoader(dataset, train ? batch : 256, shuffle: train, seed: 1, num_worker: workers);
    return () => dataLoader.Select(d => ((Tensor?)d["image"], (Tensor?)d["label"], d["label"].shape[0]));
}

// The "reused tensors filled by one copy" design: the batch's floats into a tensor made once (Tensor.bytes is a span
// over its native storage), the int32 labels widened into another; a short last batch is a narrowed view of both.
static (Tensor?, Tensor?, long) CopyInto(LoaderBatch batch, Tensor images, Tensor labels, int capacity)
{
    int n = batch.Count;
    MemoryMarshal.AsBytes(batch.Floats).CopyTo(images.bytes);
    var wide = MemoryMarshal.Cast<byte, long>(labels.bytes);
    var narrow = batch.Labels;
    for (int i = 0; i < n; i++) wide[i] = narrow[i];
    return n == capacity ? (images, labels, n) : (images.narrow(0, 0, n), labels.narrow(0, 0, n), n);
}

double Evaluate(Func<IEnumerable<(Tensor?, Tensor?, long)>> batches)
{
    model.eval();
    long right = 0, seen = 0;
    using var _ = no_grad();
    foreach (var (images, labels, n) in batches())
    {
        using var scope = NewDisposeScope();
        right += model.forward(images!).argmax(1).eq(labels!).sum().item<long>();
        seen += n;
    }
    return (double)right / seen;
}

static Dictionary<string, string> Options(Queue<string> a)
{
    var o = new Dictionary<string, string>();
    while (a.Count >= 2) o[a.Dequeue()] = a.Dequeue();
    return o;
}
