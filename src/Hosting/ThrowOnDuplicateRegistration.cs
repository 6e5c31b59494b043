using Microsoft.Extensions.DependencyInjection;
using Scrutor;

namespace Unified.Hosting;

/// <summary>
/// Scrutor's <see cref="RegistrationStrategy.Throw"/> by service and implementation type: many callbacks may share the
/// service type <c>Callback</c>, but the same class registered twice for it (an assembly scanned twice, or scanned and
/// registered by hand) is an error, since it would run twice in every fit.
/// </summary>
internal sealed class ThrowOnDuplicateRegistration : RegistrationStrategy
{
    public static ThrowOnDuplicateRegistration Instance { get; } = new();

    public override void Apply(IServiceCollection services, ServiceDescriptor descriptor)
    {
        if (services.Any(s => s.ServiceType == descriptor.ServiceType && !s.IsKeyedService && s.ImplementationType == descriptor.ImplementationType))
            throw new InvalidOperationException($"{descriptor.ImplementationType?.FullName} is already registered as {descriptor.ServiceType.Name}: " +
                "an assembly was scanned twice, or a type was both scanned and registered by hand. Register it once.");
        services.Add(descriptor);
    }
}
