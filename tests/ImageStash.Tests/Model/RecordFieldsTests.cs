using System.Text;
using System.Text.Json.Nodes;

namespace ImageStash.Tests.Model;

public class RecordFieldsTests
{
    [Fact]
    public void Parse_keeps_the_object_compact_in_its_order()
    {
        var fields = RecordFields.Parse("""{ "text" : "a cat on a mat", "tags": ["cat", "mat"], "box": [1, 2.50, 3e2, 4] }""");
        Assert.Equal("""{"text":"a cat on a mat","tags":["cat","mat"],"box":[1,2.50,3e2,4]}""", fields.Json);
        Assert.Equal(["text", "tags", "box"], fields.Names);
        Assert.Equal("a cat on a mat", fields.GetString("text"));
        Assert.Null(fields.GetString("tags"));
        Assert.Null(fields.GetString("missing"));
    }

    [Fact]
    public void Non_ascii_text_stays_utf8_and_escapes_round_trip()
    {
        var fields = RecordFields.Parse("""{"text":"Café \u00e9 — 猫","q":"say \"hi\"\n"}""");
        Assert.Equal("Café é — 猫", fields.GetString("text"));
        Assert.Equal("say \"hi\"\n", fields.GetString("q"));
        Assert.Contains("猫", fields.Json);
        Assert.Equal(fields, RecordFields.FromUtf8(fields.Utf8.Span));
    }

    [Theory]
    [InlineData("[1,2]", "an array")]
    [InlineData("\"caption\"", "a string")]
    [InlineData("42", "a number")]
    [InlineData("null", "null")]
    [InlineData("{\"a\":1}{\"b\":2}", "invalid")]
    [InlineData("{\"a\":1", "invalid")]
    [InlineData("", "invalid")]
    [InlineData("{\"a\":1,\"a\":2}", "'a' is there twice")]
    public void Anything_but_one_object_is_refused_saying_why(string json, string why)
    {
        Assert.False(RecordFields.TryFromUtf8(Encoding.UTF8.GetBytes(json), out var fields, out var problem));
        Assert.Null(fields);
        Assert.Contains(why, problem);
        var e = Assert.Throws<ArgumentException>(() => RecordFields.Parse(json));
        Assert.Contains(why, e.Message);
    }

    [Fact]
    public void The_size_cap_counts_compact_bytes()
    {
        string under = "{\"t\":\"" + new string('x', RecordFields.MaxBytes - 8) + "\"}";
        Assert.Equal(RecordFields.MaxBytes - 8 + 8, RecordFields.Parse(under).Utf8.Length);
        string over = "{\"t\":\"" + new string('x', RecordFields.MaxBytes) + "\"}";
        var e = Assert.Throws<ArgumentException>(() => RecordFields.Parse(over));
        Assert.Contains("65,535", e.Message);
        // White space does not count: an object padded far past the cap is fine when compact.
        string padded = "{" + new string(' ', RecordFields.MaxBytes * 2) + "\"t\":1}";
        Assert.Equal("{\"t\":1}", RecordFields.Parse(padded).Json);
    }

    [Fact]
    public void Equality_is_by_content_so_headers_compare_by_value()
    {
        var a = RecordFields.Parse("""{"text": "x"}""");
        var b = RecordFields.Parse("""{"text":"x"}""");
        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, RecordFields.Parse("""{"text":"y"}"""));
        var shape = new ImageShape(2, 2, 3);
        Assert.Equal(new ImageHeader(1, shape, 0) { Fields = a }, new ImageHeader(1, shape, 0) { Fields = b });
        Assert.NotEqual(new ImageHeader(1, shape, 0) { Fields = a }, new ImageHeader(1, shape, 0));
    }

    [Fact]
    public void With_lays_other_members_over()
    {
        var merged = RecordFields.Parse("""{"text":"old","cls":3}""").With(RecordFields.Parse("""{"text":"new","tags":["a"]}"""));
        Assert.Equal("""{"text":"new","cls":3,"tags":["a"]}""", merged.Json);
    }

    [Fact]
    public void FromObject_and_ToObject_round_trip()
    {
        var fields = RecordFields.FromObject(new JsonObject { ["text"] = "é", ["n"] = 2 });
        Assert.Equal("""{"text":"é","n":2}""", fields.Json);
        var copy = fields.ToObject();
        copy["n"] = 3;
        Assert.Equal("""{"text":"é","n":2}""", fields.Json);
    }

    [Fact]
    public void A_batch_carries_fields()
    {
        var fields = RecordFields.Parse("""{"text":"a red square"}""");
        using var batch = new ImageBatch();
        var shape = new ImageShape(2, 2, 3);
        batch.Add(new ImageHeader(7, shape, 1, "a.png") { Fields = fields }, new byte[shape.ByteCount]);
        batch.SetId(0, 9);
        Assert.Equal(fields, batch[0].Fields);
        Assert.Equal(9, batch[0].Id);
    }
}
