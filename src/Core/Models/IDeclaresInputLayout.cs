using Unified.Core.Data;

namespace Unified.Core.Models;

/// <summary>A network that says which input layout it takes, so that loops can refuse the other with the fix.</summary>
public interface IDeclaresInputLayout
{
    /// <summary>The layout of the network's input.</summary>
    InputLayout Layout { get; }
}
