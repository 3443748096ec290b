using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace ImageStash.Tests.Architecture;

/// <summary>
/// DESIGN.md's "who may know whom", read from the built assemblies (what the compiler emitted, not what the sources
/// say): the core's rooms (one namespace per folder) form no cycle, the contract and the parts consumers build on know
/// no store, no store knows the loader, the CLI or another store, the core references no store or heavy library, and
/// only tests and benchmarks see internals.
/// </summary>
public sealed class DependencyTests
{
    /// <summary>Stores: each knows the core's public API and its own library, nothing of the loader, the CLI or another store.</summary>
    private static readonly string[] Stores = ["ImageStash.Lmdb", "ImageStash.Hdf5", "ImageStash.Shards", "ImageStash.Parquet"];

    /// <summary>Assemblies the core must never reference (DESIGN.md: the core's "must never use").</summary>
    private static readonly string[] NotInCore =
    [
        "ImageStash.Lmdb", "ImageStash.Hdf5", "ImageStash.Shards", "ImageStash.Parquet", "ImageStash.MLNet", "ImageStash.TorchSharp",
        "ImageStash.Reporting", "ImageStash.Cli", "LightningDB", "AWSSDK.Core", "AWSSDK.S3", "Microsoft.ML", "Microsoft.ML.Core",
        "Microsoft.ML.Data", "TorchSharp", "Spectre.Console", "Spectre.Console.Cli", "ScottPlot", "Parquet.Net", "Parquet",
    ];

    /// <summary>The core's rooms that consumers and stores build on: none of them may know the folder store or the tools over stores.</summary>
    private static readonly string[] Foundations = ["ImageStash", "ImageStash.Internal", "ImageStash.Pixels", "ImageStash.Codecs", "ImageStash.Sources", "ImageStash.Loading"];

    private static string Dll(string name) => Path.Combine(AppContext.BaseDirectory, name + ".dll");

    [Fact]
    public void The_cores_rooms_form_no_cycle()
    {
        var edges = RoomEdges(Dll("ImageStash"));
        Assert.Contains(("ImageStash.Loading", "ImageStash"), edges.Keys); // the reading works: the loader uses the contract
        var cycles = new List<string>();
        foreach (var ((from, to), example) in edges)
            if (string.CompareOrdinal(from, to) < 0 && edges.TryGetValue((to, from), out var back))
                cycles.Add($"{from} ⇄ {to} ({example}; {back})");
        Assert.True(cycles.Count == 0 && !HasLongerCycle(edges, out _), "cycles between the core's rooms: " +
            string.Join("; ", cycles) + (HasLongerCycle(edges, out string? longer) ? $"; {longer}" : ""));
    }

    [Fact]
    public void The_contract_and_what_consumers_build_on_know_no_store()
    {
        var edges = RoomEdges(Dll("ImageStash"));
        var bad = edges.Where(e => Foundations.Contains(e.Key.From) && e.Key.To is "ImageStash.FolderStore" or "ImageStash.Tools")
            .Select(e => $"{e.Key.From} → {e.Key.To} ({e.Value})").ToList();
        Assert.True(bad.Count == 0, "the core's foundations know a store or the tools over stores: " + string.Join("; ", bad));
    }

    [Fact]
    public void The_core_references_no_store_and_no_heavy_library()
    {
        var references = AssemblyReferences(Dll("ImageStash"));
        Assert.Contains("SkiaSharp", references); // the reading works
        Assert.Empty(references.Intersect(NotInCore));
    }

    [Fact]
    public void No_store_knows_the_loader_the_cli_or_another_store()
    {
        foreach (string store in Stores)
        {
            var references = AssemblyReferences(Dll(store));
            Assert.Contains("ImageStash", references);
            Assert.Empty(references.Intersect([.. NotInCore.Where(n => n.StartsWith("ImageStash.", StringComparison.Ordinal) && n != store)]));
            var loader = TypeReferences(Dll(store)).Where(t => t.StartsWith("ImageStash.Loading.", StringComparison.Ordinal)).ToList();
            Assert.True(loader.Count == 0, $"{store} knows the loader's types: {string.Join(", ", loader)}");
        }
    }

    [Fact]
    public void Only_tests_and_benchmarks_see_internals()
    {
        foreach (string dll in Directory.GetFiles(AppContext.BaseDirectory, "ImageStash*.dll"))
        {
            string name = Path.GetFileNameWithoutExtension(dll);
            if (name.Contains("Tests", StringComparison.Ordinal) || name == "ImageStash.Stranger") continue;
            var granted = InternalsVisibleTo(dll).Where(g => g is not ("ImageStash.Tests" or "ImageStash.Benchmarks") && !g.EndsWith(".Tests", StringComparison.Ordinal)).ToList();
            Assert.True(granted.Count == 0, $"{name} shows its internals to {string.Join(", ", granted)}");
        }
    }

    /// <summary>A cycle through three or more rooms (two-room cycles are reported on their own), as text.</summary>
    private static bool HasLongerCycle(Dictionary<(string From, string To), string> edges, out string? cycle)
    {
        var next = edges.Keys.Where(e => e.From != e.To).GroupBy(e => e.From).ToDictionary(g => g.Key, g => g.Select(e => e.To).ToList());
        foreach (string start in next.Keys)
        {
            var path = new List<string> { start };
            if (Walk(start)) { cycle = string.Join(" → ", path); return true; }

            bool Walk(string room)
            {
                foreach (string to in next.GetValueOrDefault(room) ?? [])
                {
                    if (to == start && path.Count > 2) { path.Add(to); return true; }
                    if (path.Contains(to)) continue;
                    path.Add(to);
                    if (Walk(to)) return true;
                    path.RemoveAt(path.Count - 1);
                }
                return false;
            }
        }
        cycle = null;
        return false;
    }

    private static HashSet<string> AssemblyReferences(string dll)
    {
        using var pe = new PEReader(File.OpenRead(dll));
        var md = pe.GetMetadataReader();
        return [.. md.AssemblyReferences.Select(h => md.GetString(md.GetAssemblyReference(h).Name))];
    }

    private static List<string> TypeReferences(string dll)
    {
        using var pe = new PEReader(File.OpenRead(dll));
        var md = pe.GetMetadataReader();
        return [.. md.TypeReferences.Select(h => md.GetTypeReference(h)).Select(t => $"{md.GetString(t.Namespace)}.{md.GetString(t.Name)}")];
    }

    private static List<string> InternalsVisibleTo(string dll)
    {
        using var pe = new PEReader(File.OpenRead(dll));
        var md = pe.GetMetadataReader();
        var names = new List<string>();
        foreach (var handle in md.GetAssemblyDefinition().GetCustomAttributes())
        {
            var attribute = md.GetCustomAttribute(handle);
            if (attribute.Constructor.Kind != HandleKind.MemberReference) continue;
            var parent = md.GetMemberReference((MemberReferenceHandle)attribute.Constructor).Parent;
            if (parent.Kind != HandleKind.TypeReference || md.GetString(md.GetTypeReference((TypeReferenceHandle)parent).Name) != "InternalsVisibleToAttribute") continue;
            var blob = md.GetBlobReader(attribute.Value);
            blob.ReadUInt16(); // prolog
            names.Add(blob.ReadSerializedString()!.Split(',')[0].Trim());
        }
        return names;
    }

    /// <summary>Room → room uses inside one assembly, each with one example "Type → Type", from every type's base,
    /// interfaces, fields, method signatures, locals and the members its IL touches.</summary>
    private static Dictionary<(string From, string To), string> RoomEdges(string dll)
    {
        using var pe = new PEReader(File.OpenRead(dll));
        var md = pe.GetMetadataReader();
        var provider = new DefinitionCollector(md);
        var edges = new Dictionary<(string, string), string>();
        foreach (var typeHandle in md.TypeDefinitions)
        {
            var outer = Outermost(md, typeHandle);
            if (Room(md, outer) is not { } from) continue;
            var type = md.GetTypeDefinition(typeHandle);
            var used = new HashSet<TypeDefinitionHandle>();
            provider.Add(type.BaseType, used);
            foreach (var i in type.GetInterfaceImplementations()) provider.Add(md.GetInterfaceImplementation(i).Interface, used);
            foreach (var f in type.GetFields()) used.UnionWith(md.GetFieldDefinition(f).DecodeSignature(provider, null));
            foreach (var m in type.GetMethods())
            {
                var method = md.GetMethodDefinition(m);
                var signature = method.DecodeSignature(provider, null);
                used.UnionWith(signature.ReturnType);
                foreach (var p in signature.ParameterTypes) used.UnionWith(p);
                if (method.RelativeVirtualAddress != 0) provider.AddBody(pe.GetMethodBody(method.RelativeVirtualAddress), used);
            }
            foreach (var u in used)
            {
                var target = Outermost(md, u);
                if (Room(md, target) is { } to && to != from)
                    edges.TryAdd((from, to), $"{Name(md, outer)} → {Name(md, target)}");
            }
        }
        return edges;
    }

    private static TypeDefinitionHandle Outermost(MetadataReader md, TypeDefinitionHandle handle)
    {
        while (md.GetTypeDefinition(handle).GetDeclaringType() is { IsNil: false } declaring) handle = declaring;
        return handle;
    }

    /// <summary>The room (namespace) of a type of ours; null for the compiler's own types.</summary>
    private static string? Room(MetadataReader md, TypeDefinitionHandle handle)
    {
        string ns = md.GetString(md.GetTypeDefinition(handle).Namespace);
        return ns == "ImageStash" || ns.StartsWith("ImageStash.", StringComparison.Ordinal) ? ns : null;
    }

    private static string Name(MetadataReader md, TypeDefinitionHandle handle) => md.GetString(md.GetTypeDefinition(handle).Name);

    /// <summary>Decodes signatures into the type definitions of this assembly they mention; walks IL for the rest.</summary>
    private sealed class DefinitionCollector(MetadataReader md) : ISignatureTypeProvider<IEnumerable<TypeDefinitionHandle>, object?>
    {
        private static readonly Dictionary<ushort, OperandType> Operands = typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Select(f => (OpCode)f.GetValue(null)!).ToDictionary(o => unchecked((ushort)o.Value), o => o.OperandType);

        public void Add(EntityHandle handle, HashSet<TypeDefinitionHandle> used)
        {
            if (handle.IsNil) return;
            switch (handle.Kind)
            {
                case HandleKind.TypeDefinition: used.Add((TypeDefinitionHandle)handle); break;
                case HandleKind.TypeSpecification: used.UnionWith(md.GetTypeSpecification((TypeSpecificationHandle)handle).DecodeSignature(this, null)); break;
                case HandleKind.MethodDefinition: used.Add(md.GetMethodDefinition((MethodDefinitionHandle)handle).GetDeclaringType()); break;
                case HandleKind.FieldDefinition: used.Add(md.GetFieldDefinition((FieldDefinitionHandle)handle).GetDeclaringType()); break;
                case HandleKind.MemberReference: Add(md.GetMemberReference((MemberReferenceHandle)handle).Parent, used); break;
                case HandleKind.MethodSpecification:
                    var spec = md.GetMethodSpecification((MethodSpecificationHandle)handle);
                    Add(spec.Method, used);
                    foreach (var t in spec.DecodeSignature(this, null)) used.UnionWith(t);
                    break;
            }
        }

        public void AddBody(MethodBodyBlock body, HashSet<TypeDefinitionHandle> used)
        {
            if (!body.LocalSignature.IsNil)
                foreach (var local in md.GetStandaloneSignature(body.LocalSignature).DecodeLocalSignature(this, null)) used.UnionWith(local);
            var il = body.GetILReader();
            while (il.RemainingBytes > 0)
            {
                ushort code = il.ReadByte();
                if (code == 0xFE) code = (ushort)(0xFE00 | il.ReadByte());
                switch (Operands[code])
                {
                    case OperandType.InlineNone: break;
                    case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar: il.ReadByte(); break;
                    case OperandType.InlineVar: il.ReadUInt16(); break;
                    case OperandType.InlineI8 or OperandType.InlineR: il.ReadInt64(); break;
                    case OperandType.InlineSwitch: int targets = il.ReadInt32(); il.Offset += 4 * targets; break;
                    case OperandType.InlineField or OperandType.InlineMethod or OperandType.InlineTok or OperandType.InlineType:
                        Add(MetadataTokens.EntityHandle(il.ReadInt32()), used); break;
                    default: il.ReadInt32(); break; // branch targets, int32, float32, strings, signatures
                }
            }
        }

        private static readonly TypeDefinitionHandle[] None = [];

        public IEnumerable<TypeDefinitionHandle> GetPrimitiveType(PrimitiveTypeCode typeCode) => None;
        public IEnumerable<TypeDefinitionHandle> GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind) => [handle];
        public IEnumerable<TypeDefinitionHandle> GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) => None;
        public IEnumerable<TypeDefinitionHandle> GetTypeFromSpecification(MetadataReader reader, object? genericContext, TypeSpecificationHandle handle, byte rawTypeKind) =>
            reader.GetTypeSpecification(handle).DecodeSignature(this, genericContext);
        public IEnumerable<TypeDefinitionHandle> GetSZArrayType(IEnumerable<TypeDefinitionHandle> elementType) => elementType;
        public IEnumerable<TypeDefinitionHandle> GetArrayType(IEnumerable<TypeDefinitionHandle> elementType, ArrayShape shape) => elementType;
        public IEnumerable<TypeDefinitionHandle> GetByReferenceType(IEnumerable<TypeDefinitionHandle> elementType) => elementType;
        public IEnumerable<TypeDefinitionHandle> GetPointerType(IEnumerable<TypeDefinitionHandle> elementType) => elementType;
        public IEnumerable<TypeDefinitionHandle> GetPinnedType(IEnumerable<TypeDefinitionHandle> elementType) => elementType;
        public IEnumerable<TypeDefinitionHandle> GetModifiedType(IEnumerable<TypeDefinitionHandle> modifier, IEnumerable<TypeDefinitionHandle> unmodifiedType, bool isRequired) => unmodifiedType;
        public IEnumerable<TypeDefinitionHandle> GetGenericInstantiation(IEnumerable<TypeDefinitionHandle> genericType, System.Collections.Immutable.ImmutableArray<IEnumerable<TypeDefinitionHandle>> typeArguments) =>
            [.. genericType, .. typeArguments.SelectMany(a => a)];
        public IEnumerable<TypeDefinitionHandle> GetGenericMethodParameter(object? genericContext, int index) => None;
        public IEnumerable<TypeDefinitionHandle> GetGenericTypeParameter(object? genericContext, int index) => None;
        public IEnumerable<TypeDefinitionHandle> GetFunctionPointerType(MethodSignature<IEnumerable<TypeDefinitionHandle>> signature) =>
            [.. signature.ReturnType, .. signature.ParameterTypes.SelectMany(p => p)];
    }
}
