using ImageStash.Pixels;

namespace ImageStash.Tests.Pixels;

public class LayoutsTests
{
    private static readonly float[] Mean = [0.485f, 0.456f, 0.406f], Std = [0.229f, 0.224f, 0.225f];

    // The SIMD path takes eight pixels at a time and the rest one by one: every start offset of the destination
    // (0–7 floats) and plane sizes on and off a whole number of vectors must give what the plain formula gives.
    [Theory]
    [InlineData(224 * 224)]
    [InlineData(64)]
    [InlineData(61)]
    [InlineData(5)]
    public void Hwc_to_floats_equals_the_formula_at_every_alignment(int plane)
    {
        var random = new Random(plane);
        var hwc = new byte[plane * 3];
        random.NextBytes(hwc);
        for (int offset = 0; offset < 8; offset++)
        {
            var floats = new float[plane * 3 + 8];
            Layouts.HwcToFloats(hwc, floats.AsSpan(offset, plane * 3), plane, 3, Mean, Std);
            for (int k = 0; k < 3; k++)
                for (int p = 0; p < plane; p++)
                {
                    float expected = hwc[3 * p + k] * (1f / (255f * Std[k])) + -Mean[k] / Std[k];
                    Assert.True(Math.Abs(floats[offset + k * plane + p] - expected) < 1e-5f, $"plane {plane}, offset {offset}, channel {k}, pixel {p}: {floats[offset + k * plane + p]} against {expected}");
                }
        }
    }
}
