"""What each failure does to a real client: recorded responses replayed through the openai SDK.

A failed check says the contract was broken; this says what that costs a user of the official
client. Every recorded response is fed, byte for byte and offline, to the openai Python SDK's
own client through an httpx mock transport, and the client's behaviour is recorded: it parses
the response as sent, raises (which exception), or silently returns something else.

    recording   Recording: what a client is fed (status, headers, bytes), plain data
    effects     what the server sent, and how the client's result compares: an Effect
    replay      feeds one Recording to the openai SDK (the only module importing openai)
    worker      runs the replays in a child process, so the run's memory and time stay its own
    session     the run's side: start the worker, replay, put the effects into the report
    beyond      the exchanges the client broke on that no failure shows: named, with evidence
    render      effects and the run's summary as text for the terminal, HTML and JSON

The SDK is an optional extra (``pip install 'chat-conformance[clients]'``); without it the
reports say how to enable it.
"""
