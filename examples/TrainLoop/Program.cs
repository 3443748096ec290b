// Trains a softmax classifier (one linear layer, cross-entropy, SGD) on a store through ImageLoader and prints, per
// epoch, how much of the wall time the training loop spent waiting for the loader: the "is the loader ever the
// bottleneck?" number. Any store: raw CIFAR-sized images as stored, photos decoded and cropped (--size).
//
//   dotnet run -c Release --project examples/TrainLoop -- STORE [--size 64] [--epochs 2] [--batch 128] [--lr 0.05]
using System.Diagnostics;
using System.Numerics;
using ImageStash;
using ImageStash.Loading;
using ImageStash.Tools;

var arguments = new Queue<string>(args);
if (arguments.Count == 0 || arguments.Peek().StartsWith('-'))
{
    Console.Error.WriteLine("usage: TrainLoop STORE [--size N] [--epochs N] [--batch N] [--lr X]");
    return 2;
}
string path = arguments.Dequeue();
int? size = null;
int epochs = 2, batchSize = 128;
float learningRate = 0.05f;
while (arguments.Count > 0)
{
    string option = arguments.Dequeue();
    string value = arguments.Count > 0 ? arguments.Dequeue() : throw new ArgumentException($"{option} needs a value");
    switch (option)
    {
        case "--size": size = int.Parse(value); break;
        case "--epochs": epochs = int.Parse(value); break;
        case "--batch": batchSize = int.Parse(value); break;
        case "--lr": learningRate = float.Parse(value, System.Globalization.CultureInfo.InvariantCulture); break;
        default: Console.Error.WriteLine($"unknown option {option}"); return 2;
    }
}

var stores = new StoreRegistry(ImageStash.Lmdb.LmdbStore.Provider, ImageStash.Hdf5.Hdf5Store.Provider);
using var store = stores.OpenRead(path);
int classes = Math.Max(store.ClassNames.Count, 1 + store.EnumerateIds().Max(id => store.TryGetHeader(id, out var h) ? h.Label : 0));
var options = new LoaderOptions { BatchSize = batchSize, Seed = 1, Size = size, RandomHorizontalFlip = true, Output = LoaderOutput.FloatsChw };
using var loader = new ImageLoader(store, options);
int features = (int)loader.Shape.ByteCount;
var model = new Softmax(features, classes);
Console.WriteLine($"{store.Format} store '{store.Path}': {loader.ImagesPerEpoch:N0} images as {loader.Shape} floats, {classes} classes, " +
                  $"softmax regression ({features:N0} × {classes} weights), batches of {batchSize}, {options.Workers} loader threads");
for (int epoch = 0; epoch < epochs; epoch++)
{
    var wall = Stopwatch.StartNew();
    var waiting = new Stopwatch();
    double loss = 0;
    long seen = 0, right = 0;
    using var batches = loader.NextEpoch().GetEnumerator();
    while (true)
    {
        waiting.Start();
        bool more = batches.MoveNext(); // the loader's time: how long the training loop waits for the next batch
        waiting.Stop();
        if (!more) break;
        var batch = batches.Current;
        var (batchLoss, batchRight) = model.Step(batch.Floats, batch.Labels, learningRate);
        loss += batchLoss * batch.Count;
        right += batchRight;
        seen += batch.Count;
    }
    double seconds = wall.Elapsed.TotalSeconds;
    Console.WriteLine($"epoch {epoch}: loss {loss / seen:F3}, training accuracy {100.0 * right / seen:F1} %, {seen / seconds:N0} images/s; " +
                      $"waiting for the loader {waiting.Elapsed.TotalSeconds:F2} s of {seconds:F2} s ({100 * waiting.Elapsed.TotalSeconds / seconds:F0} % of wall time)");
}
return 0;

/// <summary>One linear layer and a softmax, trained by plain SGD on cross-entropy: small, exact, and enough to learn.</summary>
sealed class Softmax(int features, int classes)
{
    private readonly float[] _weights = new float[features * classes];
    private readonly float[] _bias = new float[classes];
    private readonly float[] _logits = new float[classes];

    /// <summary>One SGD step on a batch (N × features floats); returns the mean loss and how many were right.</summary>
    public (double Loss, int Right) Step(ReadOnlySpan<float> inputs, ReadOnlySpan<int> labels, float learningRate)
    {
        double loss = 0;
        int right = 0, n = labels.Length;
        float scale = learningRate / n;
        for (int i = 0; i < n; i++)
        {
            var x = inputs.Slice(i * features, features);
            for (int c = 0; c < classes; c++) _logits[c] = _bias[c] + Dot(x, _weights.AsSpan(c * features, features));
            float max = _logits.Max(), sum = 0;
            for (int c = 0; c < classes; c++) sum += _logits[c] = MathF.Exp(_logits[c] - max);
            int label = Math.Clamp(labels[i], 0, classes - 1);
            loss -= Math.Log(Math.Max(_logits[label] / sum, 1e-12));
            if (Array.IndexOf(_logits, _logits.Max()) == label) right++;
            for (int c = 0; c < classes; c++)
            {
                float gradient = _logits[c] / sum - (c == label ? 1 : 0); // d loss / d logit
                _bias[c] -= scale * gradient;
                Axpy(-scale * gradient, x, _weights.AsSpan(c * features, features));
            }
        }
        return (loss / n, right);
    }

    private static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var sum = Vector<float>.Zero;
        int i = 0;
        for (; i + Vector<float>.Count <= a.Length; i += Vector<float>.Count) sum += new Vector<float>(a[i..]) * new Vector<float>(b[i..]);
        float total = Vector.Sum(sum);
        for (; i < a.Length; i++) total += a[i] * b[i];
        return total;
    }

    private static void Axpy(float alpha, ReadOnlySpan<float> x, Span<float> y)
    {
        int i = 0;
        for (; i + Vector<float>.Count <= x.Length; i += Vector<float>.Count) (new Vector<float>(y[i..]) + alpha * new Vector<float>(x[i..])).CopyTo(y[i..]);
        for (; i < x.Length; i++) y[i] += alpha * x[i];
    }
}
