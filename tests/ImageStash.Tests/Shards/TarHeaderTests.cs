using ImageStash.Shards.Internal;
using ImageStash.Tests.Security;

namespace ImageStash.Tests.Shards;

/// <summary>
/// A tar header's checksum (the unsigned sum of its 512 bytes, the checksum field counted as spaces), which shard
/// scans compute a vector at a time: every byte value counts, every byte outside the field matters, the field does not.
/// </summary>
public sealed class TarHeaderTests
{
    /// <summary>A header for a.json (16 bytes) with every byte value 0–255 in fields a reader ignores (link name, device numbers, padding).</summary>
    private static byte[] Header()
    {
        var header = new byte[512];
        Tar.WriteHeader(header, "a.json", 16);
        for (int i = 157; i < 257; i++) header[i] = (byte)(i * 7 + 3); // link name
        for (int i = 329; i < 345; i++) header[i] = (byte)(0xF0 + i - 329); // device numbers: the largest byte values
        for (int i = 500; i < 512; i++) header[i] = (byte)(0x80 + i); // after the prefix
        UntrustedShardTests.Rechecksum(header);
        return header;
    }

    [Fact]
    public void A_header_with_high_bytes_is_accepted_and_its_fields_read()
    {
        var header = Header();
        Assert.True(Tar.TryParse(header, 1024, out var member));
        Assert.Equal("a.json", member.Name);
        Assert.Equal(16, member.Size);
        Assert.Equal(1024 + 512, member.DataOffset);
    }

    [Fact]
    public void Any_changed_byte_outside_the_checksum_field_is_refused()
    {
        var header = Header();
        for (int i = 0; i < 512; i++)
        {
            if (i is >= 148 and < 156) continue;
            var changed = (byte[])header.Clone();
            changed[i] ^= (byte)(i % 2 == 0 ? 0x80 : 0x01);
            if (changed.AsSpan().IndexOfAnyExcept((byte)0) < 0) continue;
            var e = Assert.Throws<InvalidDataException>(() => Tar.TryParse(changed, 0, out _));
            Assert.Contains("checksum", e.Message);
        }
    }

    [Fact]
    public void The_checksum_fields_own_bytes_are_counted_as_spaces()
    {
        var header = Header();
        // The field's terminator written as a NUL and a space (as GNU tar does), or as two spaces: the same sum.
        header[155] = 0;
        Assert.True(Tar.TryParse(header, 0, out _));
        header[155] = (byte)' ';
        header[154] = (byte)' ';
        Assert.True(Tar.TryParse(header, 0, out _));
    }
}
