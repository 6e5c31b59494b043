using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.OpenApi;

namespace Unified.Serving;

/// <summary>
/// The HTTP server for a model (ASP.NET Core minimal API on Kestrel): <c>POST /predict</c>, <c>GET /health</c>
/// (with <c>/health/live</c> and <c>/health/ready</c>), <c>GET /metrics</c> (Prometheus text) and the OpenAPI document
/// at <c>/openapi/v1.json</c>. Shutdown (SIGTERM, Ctrl+C, <see cref="StopAsync"/>) stops accepting connections, answers
/// the requests in flight (up to <see cref="ServingOptions.ShutdownTimeout"/>), then releases the model.
/// </summary>
/// <example><code>
/// await using var host = await ServingHost.StartAsync(new ServingOptions { ModelPath = "mlp.onnx", Port = 0 });
/// Console.WriteLine($"listening on {host.Address}");
/// await host.WaitForShutdownAsync();
/// </code></example>
public sealed class ServingHost : IAsyncDisposable
{
    readonly WebApplication app;
    readonly IPredictor predictor;
    readonly MicroBatcher? batcher;
    bool disposed;

    ServingHost(WebApplication app, IPredictor predictor, MicroBatcher? batcher, Uri address)
    {
        this.app = app;
        this.predictor = predictor;
        this.batcher = batcher;
        Address = address;
    }

    /// <summary>Where the server listens, with the port it got (e.g. <c>http://127.0.0.1:5123/</c>).</summary>
    public Uri Address { get; }

    /// <summary>The model being served.</summary>
    public string Model => predictor.Description;

    /// <summary>Loads the model, starts Kestrel and returns once it accepts requests.</summary>
    /// <param name="options">What to serve and how.</param>
    /// <param name="logging">Configures logging; none by default (the CLI logs warnings to standard error).</param>
    /// <param name="cancel">Cancels the start.</param>
    public static async Task<ServingHost> StartAsync(ServingOptions options, Action<ILoggingBuilder>? logging = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var predictor = Predictors.Open(options);
        MicroBatcher? batcher = null;
        try
        {
            var metrics = new ServingMetrics();
            batcher = options.Batching ? new MicroBatcher(predictor, metrics, options.MaxBatchSize, options.MaxBatchDelay) : null;
            var app = Build(options, predictor, batcher, metrics, logging);
            await app.StartAsync(cancel);
            string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return new ServingHost(app, predictor, batcher, new Uri(address.EndsWith('/') ? address : address + "/"));
        }
        catch
        {
            if (batcher is not null) await batcher.DisposeAsync();
            predictor.Dispose();
            throw;
        }
    }

    /// <summary>Completes when the server has shut down (after SIGTERM, Ctrl+C or <see cref="StopAsync"/>).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancel = default) => app.WaitForShutdownAsync(cancel);

    /// <summary>Stops gracefully: no new connections, the requests in flight are answered.</summary>
    public Task StopAsync(CancellationToken cancel = default) => app.StopAsync(cancel);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (disposed) return;
        disposed = true;
        await app.StopAsync();
        await app.DisposeAsync();
        if (batcher is not null) await batcher.DisposeAsync();
        predictor.Dispose();
    }

    static WebApplication Build(ServingOptions options, IPredictor predictor, MicroBatcher? batcher, ServingMetrics metrics, Action<ILoggingBuilder>? logging)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = "Unified.Serving", ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        logging?.Invoke(builder.Logging);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(options.Address, options.Port);
            kestrel.Limits.MaxRequestBodySize = null; // the predict endpoint reads at most MaxRequestBytes + 1 itself
            kestrel.AddServerHeader = false;
        });
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = options.ShutdownTimeout);
        builder.Services.AddOpenApi();
        var app = builder.Build();

        var lifetime = app.Services.GetRequiredService<IHostApplicationLifetime>();
        app.Use(async (context, next) =>
        {
            var clock = Stopwatch.StartNew();
            try
            {
                await next(context);
            }
            catch (Exception e) when (!context.Response.HasStarted && e is not OperationCanceledException)
            {
                // A failure of ours (the model threw): a 500 problem without internals, counted as an inference error.
                app.Logger.LogError(e, "Request {Path} failed", context.Request.Path);
                await ServingProblems.WriteAsync(context, 500, "inference", "Inference failed", "The model failed to answer this request; see the server's log.");
            }
            int status = context.Response.StatusCode;
            metrics.ObserveRequest(EndpointLabel(context.Request.Path), status, clock.Elapsed);
            if (status >= 400) metrics.ObserveError(context.Items[ServingProblems.KindItem] as string ?? status.ToString(System.Globalization.CultureInfo.InvariantCulture));
        });

        var predict = new PredictEndpoint(predictor, batcher, metrics, options);
        app.MapPost("/predict", (Delegate)(Func<HttpContext, Task>)predict.HandleAsync)
            // The request body is documented by a transformer, not Accepts<T>(), whose content-type routing would answer a
            // wrong content type with the fallback's 404 instead of the endpoint's 400 problem.
            .AddOpenApiOperationTransformer(async (operation, context, cancel) => operation.RequestBody = new OpenApiRequestBody
            {
                Required = true,
                Description = "{\"data\": [[...], ...]}: rows of numbers, each one sample flattened.",
                Content = new Dictionary<string, OpenApiMediaType> { ["application/json"] = new() { Schema = await context.GetOrCreateSchemaAsync(typeof(PredictRequest), null, cancel) } },
            })
            .Produces<PredictResponse>(StatusCodes.Status200OK)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .WithName("Predict")
            .WithSummary($"Predicts the class of each row; a row is one sample of shape [{string.Join(", ", predictor.SampleShape)}], flattened to {predictor.SampleLength} numbers.");

        app.MapGet("/health", (HttpContext context) => Health(context, lifetime, predictor, options, live: true, ready: true)).WithSummary("Liveness and readiness together: 200 when the model is loaded and the server is not shutting down, else 503.");
        app.MapGet("/health/live", (HttpContext context) => Health(context, lifetime, predictor, options, live: true, ready: false)).WithSummary("Liveness: 200 while the process answers.");
        app.MapGet("/health/ready", (HttpContext context) => Health(context, lifetime, predictor, options, live: false, ready: true)).WithSummary("Readiness: 200 when the model is loaded and the server is not shutting down, else 503.");
        app.MapGet("/metrics", async (HttpContext context) =>
        {
            context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            await metrics.WriteAsync(context.Response.Body, context.RequestAborted);
        }).WithSummary("Prometheus metrics: requests, latency, batch sizes, errors.");
        app.MapOpenApi();
        // Unknown paths and wrong methods are problems too, never an empty page.
        app.MapFallback(context => ServingProblems.WriteAsync(context, 404, "not-found", "Not found",
            $"{context.Request.Method} {context.Request.Path} is not an endpoint: POST /predict, GET /health, GET /metrics, GET /openapi/v1.json."));
        return app;
    }

    static Task Health(HttpContext context, IHostApplicationLifetime lifetime, IPredictor predictor, ServingOptions options, bool live, bool ready)
    {
        bool isReady = !lifetime.ApplicationStopping.IsCancellationRequested;
        bool ok = !ready || isReady;
        context.Response.StatusCode = ok ? 200 : 503;
        return context.Response.WriteAsJsonAsync(new Dictionary<string, object>
        {
            ["status"] = ok ? "ok" : "stopping",
            ["live"] = true,
            ["ready"] = isReady,
            ["model"] = predictor.Description,
            ["sample_shape"] = predictor.SampleShape,
            ["batching"] = options.Batching,
        }, HealthJson);
    }

    static readonly JsonSerializerOptions HealthJson = new(JsonSerializerDefaults.Web);

    static string EndpointLabel(PathString path) => path.Value switch
    {
        "/predict" or "/health" or "/health/live" or "/health/ready" or "/metrics" or "/openapi/v1.json" => path.Value,
        _ => "other",
    };
}
