// Segue for Unreal Engine 5: an actor component that sends telemetry to Segue with the built-in OSC plugin.
// Enable the "OSC" plugin, add "OSC" to your module's PublicDependencyModuleNames, add this component to an
// actor, and call its functions from Blueprint (they are BlueprintCallable) or C++.
// The OSC plugin sends one message per UDP datagram: float32 ('f'), int32 ('i'), bools as 'T'/'F' tags.
#pragma once

#include "Components/ActorComponent.h"
#include "CoreMinimal.h"
#include "SegueOscComponent.generated.h"

class UOSCClient;

UCLASS(ClassGroup = (Audio), meta = (BlueprintSpawnableComponent))
class USegueOscComponent : public UActorComponent
{
    GENERATED_BODY()

public:
    UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "Segue")
    FString Host = TEXT("127.0.0.1");

    UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "Segue")
    int32 Port = 9000;

    /** A continuous value such as intensity or health (Segue clamps and smooths it). */
    UFUNCTION(BlueprintCallable, Category = "Segue")
    void SetParam(const FString& Name, float Value);

    /** A one-shot such as enemy_spotted. Sent with a 'T' argument, as a Blueprint bool pin would. */
    UFUNCTION(BlueprintCallable, Category = "Segue")
    void RaiseEvent(const FString& Name);

    /** Force a state, on the sync of the machine's own rule to it. */
    UFUNCTION(BlueprintCallable, Category = "Segue")
    void ForceState(const FString& Name);

protected:
    virtual void BeginPlay() override;

private:
    void Send(const FString& Address, TFunctionRef<void(FOSCMessage&)> AddArguments);

    UPROPERTY()
    TObjectPtr<UOSCClient> Client;
};
