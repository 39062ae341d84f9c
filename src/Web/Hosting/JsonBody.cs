using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Appliance.Web.Hosting;

/// <summary>
/// Reads a JSON request body with a size cap and strict binding, turning every bad input into a 4xx that says
/// what is wrong and where: 413 over the cap, 415 not JSON, 400 malformed JSON (with line and byte position),
/// wrong types or unknown fields (with the JSON path).
/// </summary>
public static class JsonBody
{
    public const int DefaultLimit = 1024 * 1024;

    /// <summary>The daemon API's options: web names, strict reading, the types of <see cref="DaemonJson"/> only.</summary>
    public static JsonSerializerOptions Options => DaemonJson.Default.Options;

    /// <summary>How <typeparamref name="T"/> is read and written on the daemon's API (generated; a type missing from
    /// <see cref="DaemonJson"/> throws NotSupportedException, in tests first).</summary>
    public static JsonTypeInfo<T> TypeInfo<T>() => (JsonTypeInfo<T>)Options.GetTypeInfo(typeof(T));

    /// <summary><paramref name="value"/> as the JSON answer, with <paramref name="statusCode"/> (200 when null).</summary>
    public static IResult Result<T>(T value, int? statusCode = null) => Results.Json(value, TypeInfo<T>(), statusCode: statusCode);

    /// <param name="example">A valid body, quoted in the error so the caller sees the expected shape.</param>
    public static async Task<(T? Value, IResult? Error)> ReadAsync<T>(HttpRequest request, string example, int limit = DefaultLimit,
        CancellationToken cancellationToken = default)
        where T : class
    {
        if (request.ContentLength > limit)
        {
            return (null, TooLarge(limit));
        }
        if (request.ContentType is not { } type || !type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            return (null, Result(new ErrorResponse($"the body must be JSON (Content-Type: application/json), not '{request.ContentType}'"),
                statusCode: StatusCodes.Status415UnsupportedMediaType));
        }
        var buffer = new ArrayBufferWriter<byte>();
        while (true)
        {
            Memory<byte> memory = buffer.GetMemory(16 * 1024);
            int read = await request.Body.ReadAsync(memory, cancellationToken);
            if (read == 0)
            {
                break;
            }
            buffer.Advance(read);
            if (buffer.WrittenCount > limit)
            {
                return (null, TooLarge(limit));
            }
        }
        if (buffer.WrittenCount == 0)
        {
            return (null, BadRequest("the body is empty; send a JSON object"));
        }
        try
        {
            T? value = JsonSerializer.Deserialize(buffer.WrittenSpan, TypeInfo<T>());
            return value is null ? (null, BadRequest($"the body is JSON null; send a JSON object like {example}")) : (value, null);
        }
        catch (JsonException e)
        {
            string position = e.LineNumber is long line ? $" (line {line + 1}, byte {e.BytePositionInLine + 1})" : "";
            string what = e.Message switch
            {
                _ when e.Message.Contains("could not be mapped to any", StringComparison.Ordinal) => $"{e.Path} is not a field this endpoint knows",
                _ when e.Message.Contains("could not be converted", StringComparison.Ordinal) => $"{e.Path} has a value of the wrong type",
                _ when e.Message.Contains("missing required properties", StringComparison.Ordinal) ||
                       e.Message.Contains("required", StringComparison.OrdinalIgnoreCase) => FirstSentence(e.Message),
                _ when e.Message.Contains("null", StringComparison.Ordinal) && e.Path is { Length: > 1 } => $"{e.Path} must not be null",
                _ => "it is not well-formed JSON: " + FirstSentence(e.Message),
            };
            return (null, BadRequest($"bad request body{position}: {what}; expected e.g. {example}"));
        }
    }

    public static IResult BadRequest(string error, IReadOnlyList<string>? details = null) =>
        Result(new ErrorResponse(error, details), statusCode: StatusCodes.Status400BadRequest);

    private static IResult TooLarge(int limit) =>
        Result(new ErrorResponse($"the body is larger than {limit / 1024} KiB; this endpoint accepts at most that"),
            statusCode: StatusCodes.Status413PayloadTooLarge);

    private static string FirstSentence(string message)
    {
        int cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut].TrimEnd('.', ' ') : message;
    }
}
