using SkiaSharp;
using static TorchSharp.torch;

/// <summary>
/// The peer: what a C# user writes today for TorchSharp's DataLoader. A Dataset over an image folder
/// (ROOT/class/file), decoding each file with SkiaSharp, cutting a random resized crop (the test set: a centre crop of
/// the resized shorter side), and normalising into a float32 C×H×W tensor per item, with an int64 label.
/// </summary>
internal sealed class PeerDataset : utils.data.Dataset
{
    private readonly (string Path, long Label)[] _files;
    private readonly int _size;
    private readonly bool _train;
    private readonly float[] _mean, _std;
    private readonly ThreadLocal<Random> _random = new(() => new Random(Environment.CurrentManagedThreadId));

    public PeerDataset(string root, int size, bool train, float[] mean, float[] std)
    {
        var classes = Directory.GetDirectories(root).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        _files = [.. classes.SelectMany((c, label) => Directory.GetFiles(Path.Combine(root, c!)).Order(StringComparer.Ordinal).Select(f => (f, (long)label)))];
        (_size, _train, _mean, _std) = (size, train, mean, std);
    }

    public override long Count => _files.Length;

    public override Dictionary<string, Tensor> GetTensor(long index)
    {
        var (path, label) = _files[index];
        using var bitmap = SKBitmap.Decode(path);
        var crop = _train ? RandomResizedCrop(bitmap.Width, bitmap.Height, _random.Value!) : CentreCrop(bitmap.Width, bitmap.Height);
        using var output = new SKBitmap(new SKImageInfo(_size, _size, SKColorType.Rgba8888, SKAlphaType.Premul));
        using (var canvas = new SKCanvas(output))
        {
            using var image = SKImage.FromBitmap(bitmap);
            canvas.DrawImage(image, crop, new SKRect(0, 0, _size, _size), new SKSamplingOptions(SKFilterMode.Linear), null);
        }
        bool flip = _train && _random.Value!.Next(2) == 1;
        var pixels = output.GetPixelSpan();
        int plane = _size * _size;
        var values = new float[3 * plane];
        for (int y = 0; y < _size; y++)
            for (int x = 0; x < _size; x++)
            {
                int from = (y * _size + (flip ? _size - 1 - x : x)) * 4, to = y * _size + x;
                for (int c = 0; c < 3; c++) values[c * plane + to] = (pixels[from + c] / 255f - _mean[c]) / _std[c];
            }
        return new() { ["image"] = tensor(values, [3, _size, _size]), ["label"] = tensor(label) };
    }

    /// <summary>torchvision's RandomResizedCrop: an area of 35–100 % of the image and an aspect of 3:4 to 4:3 (ten tries, then the centre).</summary>
    private static SKRect RandomResizedCrop(int width, int height, Random random)
    {
        double area = (double)width * height;
        for (int attempt = 0; attempt < 10; attempt++)
        {
            double target = area * (0.35 + 0.65 * random.NextDouble());
            double ratio = Math.Exp(Math.Log(3.0 / 4) + (Math.Log(4.0 / 3) - Math.Log(3.0 / 4)) * random.NextDouble());
            int w = (int)Math.Round(Math.Sqrt(target * ratio)), h = (int)Math.Round(Math.Sqrt(target / ratio));
            if (w <= 0 || h <= 0 || w > width || h > height) continue;
            int x = random.Next(width - w + 1), y = random.Next(height - h + 1);
            return new SKRect(x, y, x + w, y + h);
        }
        return CentreCrop(width, height);
    }

    private static SKRect CentreCrop(int width, int height)
    {
        int side = Math.Min(width, height);
        float x = (width - side) / 2f, y = (height - side) / 2f;
        return new SKRect(x, y, x + side, y + side);
    }
}
