#include "SegueOscComponent.h"

#include "OSCClient.h"
#include "OSCManager.h"
#include "OSCMessage.h"

void USegueOscComponent::BeginPlay()
{
    Super::BeginPlay();
    Client = UOSCManager::CreateOSCClient(Host, Port, TEXT("SegueOscClient"), this);
}

void USegueOscComponent::Send(const FString& Address, TFunctionRef<void(FOSCMessage&)> AddArguments)
{
    if (!Client)
    {
        return;
    }
    FOSCMessage Message;
    Message.SetAddress(UOSCManager::ConvertStringToOSCAddress(Address));
    AddArguments(Message);
    Client->SendOSCMessage(Message);
}

void USegueOscComponent::SetParam(const FString& Name, float Value)
{
    Send(TEXT("/segue/param/") + Name, [Value](FOSCMessage& M) { UOSCManager::AddFloat(M, Value); });
}

void USegueOscComponent::RaiseEvent(const FString& Name)
{
    Send(TEXT("/segue/event/") + Name, [](FOSCMessage& M) { UOSCManager::AddBool(M, true); });
}

void USegueOscComponent::ForceState(const FString& Name)
{
    Send(TEXT("/segue/state/") + Name, [](FOSCMessage& M) { UOSCManager::AddBool(M, true); });
}
