using Microsoft.AspNetCore.Components.Endpoints;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Matching;

namespace Appliance.Web.Ui;

/// <summary>
/// When a page and another endpoint match the same request (the host's placeholder "/"), the page wins
/// instead of the request failing as ambiguous.
/// </summary>
internal sealed class PagesFirstMatcherPolicy : MatcherPolicy, IEndpointSelectorPolicy
{
    public override int Order => 1000;

    public bool AppliesToEndpoints(IReadOnlyList<Endpoint> endpoints)
        => endpoints.Any(IsPage) && endpoints.Any(e => !IsPage(e));

    public Task ApplyAsync(HttpContext httpContext, CandidateSet candidates)
    {
        bool anyPage = false;
        for (int i = 0; i < candidates.Count; i++)
        {
            anyPage |= candidates.IsValidCandidate(i) && IsPage(candidates[i].Endpoint);
        }
        if (anyPage)
        {
            for (int i = 0; i < candidates.Count; i++)
            {
                if (!IsPage(candidates[i].Endpoint))
                {
                    candidates.SetValidity(i, false);
                }
            }
        }
        return Task.CompletedTask;
    }

    private static bool IsPage(Endpoint endpoint) => endpoint.Metadata.GetMetadata<ComponentTypeMetadata>() is not null;
}
